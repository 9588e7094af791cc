"""The production settings with the benchmark's URLconf, which adds the floor (`/bench/floor`).

Everything else is config.settings as production reads it from the environment, so the figures
measure what production runs.
"""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

ROOT_URLCONF = "config.bench.urls"
# collectstatic writes the manifest here (whitenoise serves it with DEBUG off), apart from the
# development var/static.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
