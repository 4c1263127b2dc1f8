"""Constants: option keys with their defaults, the service allowlist and the quant table."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "home_llm"

# Config entry data
CONF_BACKEND: Final = "backend"  # which backend answers: BACKEND_LLAMA_CPP or BACKEND_REMOTE
BACKEND_LLAMA_CPP: Final = "llama_cpp"
BACKEND_REMOTE: Final = "remote"
CONF_MODEL_PATH: Final = "model_path"  # llama_cpp: the GGUF file
CONF_BASE_URL: Final = "base_url"  # remote: OpenAI-compatible server, e.g. http://gpu-box:8080/v1
CONF_API_KEY: Final = "api_key"
CONF_REMOTE_MODEL: Final = "remote_model"
CONF_REMOTE_TIMEOUT: Final = "remote_timeout"

# Options
CONF_PROMPT: Final = "prompt"
CONF_TEMPERATURE: Final = "temperature"
CONF_TOP_K: Final = "top_k"
CONF_TOP_P: Final = "top_p"
CONF_MIN_P: Final = "min_p"
CONF_MAX_TOKENS: Final = "max_tokens"
CONF_CONTEXT_LENGTH: Final = "context_length"
CONF_THREADS: Final = "threads"
CONF_BATCH_SIZE: Final = "batch_size"
CONF_USE_GRAMMAR: Final = "use_grammar"
CONF_NUM_EXAMPLES: Final = "num_examples"
CONF_REMEMBER_TURNS: Final = "remember_turns"
CONF_RESPONSE_TIMEOUT: Final = "response_timeout"
CONF_CHAT_FORMAT: Final = "chat_format"  # CHAT_FORMAT_AUTO, CHAT_FORMAT_CHATML or CHAT_FORMAT_GGUF
CHAT_FORMAT_AUTO: Final = "auto"  # ChatML, unless the GGUF carries another chat template
CHAT_FORMAT_CHATML: Final = "chatml"
CHAT_FORMAT_GGUF: Final = "gguf"  # the GGUF's own tokenizer.chat_template
CONF_LORA_PATH: Final = "lora_path"  # a GGUF LoRA adapter applied on top of the model ("" = none)
CONF_ALLOW_SENSITIVE: Final = "allow_sensitive"
CONF_ALLOWED_SERVICES: Final = "allowed_services"  # list of "domain.service"
CONF_EXTRA_ATTRIBUTES: Final = "extra_attributes"  # attributes shown in device lines
CONF_REPLY_FORMAT: Final = "reply_format"  # call format the model writes; "auto" reads them all
CONF_FLASH_ATTENTION: Final = "flash_attention"

DEFAULT_PERSONA: Final = (
    "You are 'Al', a helpful AI Assistant that controls the devices in a house. "
    "Complete the following task as instructed with the information provided only."
)
DEFAULT_TEMPERATURE: Final = 0.0  # greedy: the same words give the same calls
DEFAULT_TOP_K: Final = 40
DEFAULT_TOP_P: Final = 1.0
DEFAULT_MIN_P: Final = 0.0
DEFAULT_MAX_TOKENS: Final = 128
DEFAULT_CONTEXT_LENGTH: Final = 4096
DEFAULT_THREADS: Final = 0  # 0 = one per physical core (llama.cpp's own choice)
DEFAULT_BATCH_SIZE: Final = 512
DEFAULT_USE_GRAMMAR: Final = True
DEFAULT_NUM_EXAMPLES: Final = 5
DEFAULT_REMEMBER_TURNS: Final = 2
DEFAULT_RESPONSE_TIMEOUT: Final = 90
DEFAULT_CHAT_FORMAT: Final = CHAT_FORMAT_AUTO
DEFAULT_ALLOW_SENSITIVE: Final = False

# Services a model reply may call, per entity domain. Only those registered in Home Assistant
# and listed here are shown to the model, admitted by the grammar and accepted by the policy.
# These take no argument beyond the target entity.
ALLOWED_SERVICES: Final[dict[str, tuple[str, ...]]] = {
    "alarm_control_panel": ("alarm_arm_home", "alarm_arm_away", "alarm_arm_night", "alarm_disarm"),
    "button": ("press",),
    "climate": ("turn_on", "turn_off"),
    "cover": ("open_cover", "close_cover", "stop_cover", "toggle"),
    "fan": ("turn_on", "turn_off", "toggle"),
    "humidifier": ("turn_on", "turn_off", "toggle"),
    "input_boolean": ("turn_on", "turn_off", "toggle"),
    "input_button": ("press",),
    "light": ("turn_on", "turn_off", "toggle"),
    "lock": ("lock", "unlock", "open"),
    "media_player": (
        "turn_on",
        "turn_off",
        "media_play",
        "media_pause",
        "media_stop",
        "media_next_track",
        "media_previous_track",
        "volume_up",
        "volume_down",
    ),
    "scene": ("turn_on",),
    "script": ("turn_on",),
    "switch": ("turn_on", "turn_off", "toggle"),
    "vacuum": ("start", "stop", "pause", "return_to_base"),
    "valve": ("open_valve", "close_valve", "stop_valve"),
    "water_heater": ("turn_on", "turn_off"),
}

# Never callable from a model reply, whatever an allowlist says.
FORBIDDEN_DOMAINS: Final = frozenset(
    {
        "homeassistant",
        "hassio",
        "shell_command",
        "python_script",
        "pyscript",
        "recorder",
        "system_log",
        "logger",
        "backup",
        "rest_command",
        "notify",
        "persistent_notification",
        "automation",
        "conversation",
        "zwave_js",
        "zha",
        "mqtt",
    }
)

# Actions that open a house to the outside: refused unless the user turns them on.
SENSITIVE_SERVICES: Final = frozenset(
    {
        ("lock", "unlock"),
        ("lock", "open"),
        ("alarm_control_panel", "alarm_disarm"),
    }
)
# Opening a cover of these device classes is sensitive too.
SENSITIVE_COVER_CLASSES: Final = frozenset({"garage", "gate", "door"})

CHATML_STOP: Final = "<|im_end|>"
