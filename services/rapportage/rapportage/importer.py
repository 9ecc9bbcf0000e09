"""Import a historical file from the command line, with a progress bar:
``python -m rapportage.importer trainings vormingen-2016-2020.csv``."""

import argparse
import asyncio
from datetime import date
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from rapportage.adapters.spreadsheets import read_sheet
from rapportage.app.imports import KINDS, ImportResult, import_sheet
from rapportage.settings import RapportageSettings


def main() -> None:
    from rapportage.main import SERVICE

    parser = argparse.ArgumentParser(description="Historische registraties importeren")
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("file", type=Path, help="CSV of XLSX")
    args = parser.parse_args()
    sheet = read_sheet(args.file.name, args.file.read_bytes())
    runtime = SERVICE.runtime()

    with Progress(TextColumn("Rijen controleren"), BarColumn(), MofNCompleteColumn()) as bar:
        task = bar.add_task("import", total=len(sheet.rows))

        async def run() -> ImportResult:
            try:
                return await import_sheet(
                    runtime.uow(),
                    KINDS[args.kind],
                    sheet,
                    date.today(),
                    progress=lambda done, _: bar.update(task, completed=done),
                    agencies=RapportageSettings().agencies,
                    filename=args.file.name,
                )
            finally:
                await runtime.engine.dispose()

        result = asyncio.run(run())
    for rejection in result.rejected:
        print(f"lijn {rejection.line}: {rejection.reason}")
    for total in result.declared:
        print(f"lijn {total['line']}: totaalrij {total['year']}, niet als registratie ingelezen")
    print(f"{result.imported} rijen geïmporteerd, {len(result.rejected)} geweigerd")
    raise SystemExit(1 if result.rejected else 0)


if __name__ == "__main__":
    main()
