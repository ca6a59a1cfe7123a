"""The console's settings with one more kind of target, for the worker of the third-kind test."""

from deletion_console.config.settings import *  # noqa: F403

DELETION_PLANS = {**DELETION_PLANS, "guild": "tests.kinds.guild.GUILD_PLAN"}  # noqa: F405
