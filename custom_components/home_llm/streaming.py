"""Pure: the spoken part of a model reply, released piece by piece while the reply is generated.

Call lines must never reach the user before the policy has seen them, so text is released only
once it is known to be speech: a whole line the parser reads as speech, or the start of a line
that can no longer become a call, a JSON line, a fence or a `<think>`/`<tool_call>` block.
What is released is always a prefix of `parse_reply(whole_reply).speech`, so the streamed words
and the final speech agree.

The work is incremental: each finished line is parsed once, when it ends (or, inside a block,
once the block closes), so a long reply costs no more per piece than a short one.
"""

from __future__ import annotations

import re

from .parser import ALL_FORMATS, MAX_REPLY_CHARS, parse_reply

# A line that could still grow into `domain.service(...)`.
_CALL_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\(.*)?)?)?")
_BLOCK_TAGS = ("think", "tool_call")
_CLOSED_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


class SpeechStream:
    """Feed it the reply's pieces; it returns the new speech each piece makes certain."""

    def __init__(self, formats: frozenset[str] = ALL_FORMATS) -> None:
        """An empty reply read in `formats`."""
        self._formats = formats
        self._pieces: list[str] = []
        self._length = 0  # characters kept; the parser reads no further than MAX_REPLY_CHARS
        self._speech = ""  # the speech of the finished lines parsed so far
        self._pending = ""  # finished lines inside a block that is still open
        self._partial = ""  # the line being written
        self.released = ""

    def feed(self, piece: str) -> str:
        """Add a piece of the reply; the speech it makes certain ("" if none)."""
        piece = piece[: MAX_REPLY_CHARS - self._length]
        if not piece:
            return ""
        self._pieces.append(piece)
        self._length += len(piece)
        if "\n" in piece:  # only a piece with a newline finishes lines
            finished, _, self._partial = (self._partial + piece).rpartition("\n")
            self._add_finished(finished + "\n")
        else:
            self._partial += piece
        return self._release(self._speech_so_far())

    def finish(self, speech: str) -> str:
        """The rest of the speech once the reply is complete (`speech`: the parser's, of the
        whole reply)."""
        return self._release(speech)

    @property
    def text(self) -> str:
        """The whole reply fed so far."""
        return "".join(self._pieces)

    def _add_finished(self, lines: str) -> None:
        """Parse newly finished lines, unless they leave a block open (then wait for its end)."""
        still_open = bool(self._pending) and "<" not in lines  # only a tag can close the block
        self._pending += lines
        if still_open or _open_block(self._pending):
            return
        self._speech = _join(self._speech, parse_reply(self._pending, self._formats).speech)
        self._pending = ""

    def _release(self, speech: str) -> str:
        """The part of `speech` not yet released; "" where it would take back released words."""
        if not speech.startswith(self.released):
            return ""  # words already released cannot be taken back: hold the rest
        new = speech[len(self.released) :]
        self.released = speech
        return new

    def _speech_so_far(self) -> str:
        """The speech of the finished lines and the safe start of the line being written."""
        if self._pending:  # a block is open: nothing after it is speech yet
            return self._speech
        return _join(self._speech, _safe_start(self._partial))


def _join(speech: str, more: str) -> str:
    """Two runs of speech as the parser joins its lines: with one space."""
    return f"{speech} {more}" if speech and more else speech or more


def _open_block(text: str) -> bool:
    """True while a `<think>` or `<tool_call>` block is open in `text` as the parser reads it
    (think blocks first: a `</tool_call>` inside one does not count)."""
    lower = text.lower()
    if "<" not in lower:
        return False
    if lower.rfind("<think>") > lower.rfind("</think>"):
        return True
    lower = _CLOSED_THINK.sub("", lower)
    return any(lower.rfind(f"<{tag}>") > lower.rfind(f"</{tag}>") for tag in _BLOCK_TAGS)


def _safe_start(line: str) -> str:
    """The part of an unfinished line that is surely speech ("" while it could be a call)."""
    line = line.lstrip()
    if not line or line[0] in "{`" or _CALL_PREFIX.fullmatch(line):
        return ""
    return line.split("<", 1)[0].rstrip()  # a tag may open a block mid-line
