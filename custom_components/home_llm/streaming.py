"""Pure: the spoken part of a model reply, released piece by piece while the reply is generated.

Call lines must never reach the user before the policy has seen them, so text is released only
once it is known to be speech: a whole line the parser reads as speech, or the start of a line
that can no longer become a call, a JSON line, a fence or a `<think>`/`<tool_call>` block.
What is released is always a prefix of `parse_reply(whole_reply).speech`, so the streamed words
and the final speech agree.
"""

from __future__ import annotations

import re

from .parser import ALL_FORMATS, parse_reply

# A line that could still grow into `domain.service(...)`.
_CALL_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\(.*)?)?)?")
_BLOCK_TAGS = ("think", "tool_call")


class SpeechStream:
    """Feed it the reply's pieces; it returns the new speech each piece makes certain."""

    def __init__(self, formats: frozenset[str] = ALL_FORMATS) -> None:
        self._formats = formats
        self._text = ""
        self.released = ""

    def feed(self, piece: str) -> str:
        self._text += piece
        return self._release(self._speech_so_far())

    def finish(self, speech: str) -> str:
        """The rest of the speech once the reply is complete (`speech`: the parser's, of the
        whole reply)."""
        return self._release(speech)

    @property
    def text(self) -> str:
        """The whole reply fed so far."""
        return self._text

    def _release(self, speech: str) -> str:
        if not speech.startswith(self.released):
            return ""  # words already released cannot be taken back: hold the rest
        new = speech[len(self.released) :]
        self.released = speech
        return new

    def _speech_so_far(self) -> str:
        done, _, partial = self._text.rpartition("\n")
        speech = parse_reply(done, self._formats).speech if done else ""
        if _inside_block(done):
            return speech
        safe = _safe_start(partial)
        return f"{speech} {safe}" if speech and safe else speech or safe


def _inside_block(text: str) -> bool:
    """True while a `<think>` or `<tool_call>` block is open: nothing after it is speech yet."""
    lower = text.lower()
    return any(lower.rfind(f"<{tag}>") > lower.rfind(f"</{tag}>") for tag in _BLOCK_TAGS)


def _safe_start(line: str) -> str:
    """The part of an unfinished line that is surely speech ("" while it could be a call)."""
    line = line.lstrip()
    if not line or line[0] in "{`" or _CALL_PREFIX.fullmatch(line):
        return ""
    return line.split("<", 1)[0].rstrip()  # a tag may open a block mid-line
