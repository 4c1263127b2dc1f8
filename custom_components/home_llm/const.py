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
CONF_HOUSE_ADAPTER: Final = "house_adapter"  # apply our shipped adapter to the default model family
CONF_ALLOW_SENSITIVE: Final = "allow_sensitive"
CONF_ALLOWED_SERVICES: Final = "allowed_services"  # list of "domain.service"
CONF_EXTRA_ATTRIBUTES: Final = "extra_attributes"  # attributes shown in device lines
CONF_REPLY_FORMAT: Final = "reply_format"  # call format the model writes; "auto" reads them all
CONF_FLASH_ATTENTION: Final = "flash_attention"
# Settings of the loaded model: kept in the entry's options (one model per entry, shared by its agents).
# Every other option belongs to one agent (a "conversation" subentry's data).
MODEL_OPTIONS: Final = (
    CONF_CONTEXT_LENGTH,
    CONF_THREADS,
    CONF_BATCH_SIZE,
    CONF_CHAT_FORMAT,
    CONF_HOUSE_ADAPTER,
    CONF_LORA_PATH,
    CONF_FLASH_ATTENTION,
)
SUBENTRY_CONVERSATION: Final = "conversation"  # subentry type of an agent
DEFAULT_AGENT_NAME: Final = "Home LLM"
CONF_PROMPT_LAYOUT: Final = "prompt_layout"  # one of the PROMPT_LAYOUT_* (prompt.py describes them)
PROMPT_LAYOUT_CHANGES_LAST: Final = "changes_last"  # the card's lines as cached, then the lines changed since
PROMPT_LAYOUT_STATES_LAST: Final = "states_last"  # device lines without states, the states in a block at the end
PROMPT_LAYOUT_CARD: Final = "card"  # the model card's `entity_id 'Name' = state` device lines

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
DEFAULT_THREADS: Final = 0  # 0 = all cores but one (backends.llama_cpp.default_threads)
DEFAULT_BATCH_SIZE: Final = 512
DEFAULT_USE_GRAMMAR: Final = True
DEFAULT_NUM_EXAMPLES: Final = 5
DEFAULT_REMEMBER_TURNS: Final = 2
DEFAULT_RESPONSE_TIMEOUT: Final = 90
DEFAULT_CHAT_FORMAT: Final = CHAT_FORMAT_AUTO
DEFAULT_ALLOW_SENSITIVE: Final = False
DEFAULT_LORA_PATH: Final = ""
DEFAULT_HOUSE_ADAPTER: Final = True
DEFAULT_FLASH_ATTENTION: Final = False
DEFAULT_PROMPT_LAYOUT: Final = PROMPT_LAYOUT_CHANGES_LAST  # the fastest after a change, as accurate (README Speed)
# Attributes a device line may show, when the user picks them in the options.
EXTRA_ATTRIBUTE_CHOICES: Final = (
    "brightness",
    "rgb_color",
    "temperature",
    "current_temperature",
    "humidity",
    "fan_mode",
    "media_title",
    "volume_level",
)
DEFAULT_EXTRA_ATTRIBUTES: Final[tuple[str, ...]] = ()

# Model sources in the config flow
MODELS_FOLDER: Final = "models"  # under the Home Assistant config directory
DEFAULT_HF_REPO: Final = "acon96/Home-3B-v3-GGUF"
# The model card's quant table: what each quant trades, smallest first.
QUANT_DESCRIPTIONS: Final[dict[str, str]] = {
    "Q3_K_L": "smallest, significant quality loss - not recommended",
    "Q4_K_M": "medium, balanced quality",
    "Q5_K_M": "large, very low quality loss",
    "Q6_K": "very large, extremely low quality loss",
    "F16": "no quantization: extremely large, no quality loss, hard to install - not recommended",
}
DEFAULT_QUANT: Final = "Q4_K_M"
# Checked in a subprocess before a local model is set up; installed with this requirement if missing.
LLAMA_CPP_MODULE: Final = "llama_cpp"
LLAMA_CPP_REQUIREMENT: Final = "llama-cpp-python==0.3.36"

# Services a model reply may call, per entity domain. Only those registered in Home Assistant
# and listed here are shown to the model, admitted by the grammar and accepted by the policy.
# Arguments (brightness, temperature, ...) are limited per service by arguments.SERVICE_SLOTS.
ALLOWED_SERVICES: Final[dict[str, tuple[str, ...]]] = {
    "alarm_control_panel": ("alarm_arm_home", "alarm_arm_away", "alarm_arm_night", "alarm_disarm"),
    "button": ("press",),
    "climate": (
        "turn_on",
        "turn_off",
        "set_temperature",
        "set_hvac_mode",
        "set_fan_mode",
        "set_preset_mode",
        "set_humidity",
    ),
    "cover": ("open_cover", "close_cover", "stop_cover", "toggle", "set_cover_position"),
    "fan": ("turn_on", "turn_off", "toggle", "set_percentage", "set_preset_mode", "increase_speed", "decrease_speed"),
    "humidifier": ("turn_on", "turn_off", "toggle", "set_humidity"),
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
        "volume_set",
        "volume_mute",
        "select_source",
    ),
    "scene": ("turn_on",),
    "script": ("turn_on",),
    "switch": ("turn_on", "turn_off", "toggle"),
    "timer": ("start", "pause", "cancel", "finish"),
    "todo": ("add_item",),
    "vacuum": ("start", "stop", "pause", "return_to_base"),
    "valve": ("open_valve", "close_valve", "stop_valve"),
    "water_heater": ("turn_on", "turn_off", "set_temperature"),
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
        "update",
        "cloud",
        "command_line",
        "auth",
        "http",
        "frontend",
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
# Opening a cover of these device classes is sensitive too, and opening a gas valve.
SENSITIVE_COVER_CLASSES: Final = frozenset({"garage", "gate", "door"})
SENSITIVE_VALVE_CLASSES: Final = frozenset({"gas"})
# Run whatever their owner wrote (a script or a button's automation can unlock or disarm): refused
# unless the user turns sensitive actions on.
OPT_IN_SERVICES: Final = frozenset({("script", "turn_on"), ("button", "press"), ("input_button", "press")})
# A switch or cover without a device class whose name or entity id has one of these words may open
# the house (`switch.garage_opener`): switching it on, opening or toggling it is sensitive.
# Names are in the user's language, whatever the turn's: the words of every language with a word list.
SENSITIVE_NAME_WORDS: Final = frozenset(
    {
        "garage", "garages", "gate", "gates", "door", "doors",  # en
        "tor", "tore", "tür", "türe", "türen", "pforte",  # de
        "porte", "portes", "portail", "portails", "portillon",  # fr
        "puerta", "puertas", "portón", "porton", "portones", "verja", "cancela", "garaje", "cochera",  # es
    }
)  # fmt: skip
# Word starts (garagedoor, Garagentor, garaje) and German compound ends (Haustür, Hoftor, Gartentor).
SENSITIVE_NAME_STARTS: Final = ("garage", "garaje")
SENSITIVE_NAME_ENDS: Final = ("tür", "türe", "türen", "gartentor", "hoftor", "einfahrtstor", "garagentor", "pforte")
# Members of a scene that make activating it sensitive: a scene can set a lock or an alarm panel.
SENSITIVE_SCENE_DOMAINS: Final = frozenset({"lock", "alarm_control_panel"})

CHATML_STOP: Final = "<|im_end|>"
