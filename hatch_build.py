"""Compile the message catalogs (loopcloser/locale/*/LC_MESSAGES/loopcloser.po) into the
.mo files gettext reads, at every build: the wheel ships them, and an editable install
finds them beside their sources. The .mo files are never committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogsHook(BuildHookInterface):  # type: ignore[type-arg]
    """Writes each catalog's .mo beside its .po and adds it to the build."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source in sorted(Path(self.root, "loopcloser", "locale").glob("*/LC_MESSAGES/*.po")):
            with source.open("rb") as file:
                catalog = read_po(file, abort_invalid=True)
            with source.with_suffix(".mo").open("wb") as file:
                write_mo(file, catalog)
        build_data["artifacts"].append("loopcloser/locale/*/LC_MESSAGES/*.mo")
