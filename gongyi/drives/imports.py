"""Importing units from Excel: every row checked and reported, then all imported or none.

Phase 1 reads the sheet (openpyxl read-only, constant memory) and checks each row, committing progress
every ``PROGRESS_EVERY`` rows so the staff page can poll it. Phase 2 runs only if no row has an error: it
creates every unit in one transaction, so a failure there (a concurrent registration taking a name) leaves
nothing behind. Files over ``INLINE_MAX_ROWS`` rows run in the background worker (Huey).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.checkdigits import check_uscc
from gongyi.drives.models import EventAction, ImportStatus, Unit, UnitImport, UnitSource, UnitStatus
from gongyi.drives.services import UnitInput, _event, check_unit_input, new_unit_code, unit_from_checked

logger = logging.getLogger(__name__)

INLINE_MAX_ROWS = 200
PROGRESS_EVERY = 50
MAX_ROWS = 20_000

# Column headers (the template's first row); a header may carry a trailing * for required columns.
COLUMNS = {
    "单位名称": "name",
    "单位类型": "kind",
    "统一社会信用代码": "uscc",
    "所在区": "district",
    "乡镇/街道": "township",
    "上级单位": "parent",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "在职人数": "headcount",
}
REQUIRED = ("name", "kind", "district")
FIELD_LABELS = {field: header for header, field in COLUMNS.items()} | {"file": "文件"}
TEMPLATE_HEADERS = [f"{h}*" if COLUMNS[h] in REQUIRED else h for h in COLUMNS]


class ImportFileError(ValueError):
    """The file itself cannot be read as the template (not the rows' content)."""


@dataclass(frozen=True)
class RowProblem:
    row: int  # the Excel row number, as staff see it
    field: str
    message: str

    def to_json(self) -> dict:
        return {
            "row": self.row,
            "field": self.field,
            "column": FIELD_LABELS.get(self.field, self.field),
            "message": self.message,
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(path) -> tuple[int, list[tuple[int, UnitInput]]]:
    """Read the first sheet: (data row count, [(row number, input), …]); blank rows are skipped."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportFileError(f"无法读取 Excel 文件（请使用 .xlsx 模板）：{exc.__class__.__name__}") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportFileError("文件是空的")
        columns: dict[int, str] = {}
        for index, title in enumerate(header):
            field = COLUMNS.get(_text(title).rstrip("*＊ "))
            if field:
                columns[index] = field
        missing = [FIELD_LABELS[f] for f in REQUIRED if f not in columns.values()]
        if missing:
            raise ImportFileError("缺少列：" + "、".join(missing) + "（请使用模板的表头）")
        found = []
        for number, values in enumerate(rows, start=2):
            cells = {columns[i]: values[i] for i in columns if i < len(values)}
            if all(_text(v) == "" for v in cells.values()):
                continue
            if len(found) >= MAX_ROWS:
                raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行，请拆分文件")
            headcount = cells.get("headcount")
            found.append(
                (
                    number,
                    UnitInput(
                        name=_text(cells.get("name")),
                        kind=_text(cells.get("kind")),
                        uscc=_text(cells.get("uscc")),
                        district=_text(cells.get("district")),
                        township=_text(cells.get("township")),
                        parent=_text(cells.get("parent")),
                        contact_name=_text(cells.get("contact_name")),
                        contact_phone=_text(cells.get("contact_phone")),
                        headcount=headcount if isinstance(headcount, int | float) else _text(headcount),
                    ),
                )
            )
        return len(found), found
    finally:
        book.close()


def count_rows(path) -> int:
    return read_rows(path)[0]


def run_import(unit_import: UnitImport) -> UnitImport:
    """Check every row, then import all rows in one transaction or none; record the report on the import."""
    UnitImport.objects.filter(pk=unit_import.pk).update(status=ImportStatus.CHECKING, checked_rows=0)
    try:
        with unit_import.file.open("rb") as handle:
            total, rows = read_rows(handle)
    except ImportFileError as exc:
        return _finish(unit_import, ImportStatus.FAILED, errors=[RowProblem(1, "file", str(exc)).to_json()])
    UnitImport.objects.filter(pk=unit_import.pk).update(total_rows=total)

    database_names = set(Unit.objects.values_list("name", flat=True))
    database_usccs = set(Unit.objects.exclude(uscc=None).values_list("uscc", flat=True))
    taken_names, taken_usccs = set(database_names), set(database_usccs)
    first_row_of: dict[str, int] = {}  # name or credit code → the first row that used it
    names_in_file = frozenset(" ".join(row.name.split()) for _, row in rows if row.name)
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    checked_rows = []
    for index, (number, row) in enumerate(rows, start=1):
        name = " ".join(row.name.split())
        checked, problems = check_unit_input(
            row, names_in_batch=names_in_file, taken_names=taken_names, taken_usccs=taken_usccs
        )
        for field, message in problems:
            if field == "name" and name in first_row_of and name not in database_names:
                message = f"单位名称与第 {first_row_of[name]} 行重复"
            if field == "uscc" and "已被其他单位登记" in message:
                code = message.split()[1]
                if code in first_row_of and code not in database_usccs:
                    message = f"统一社会信用代码 {code} 与第 {first_row_of[code]} 行重复"
            errors.append(RowProblem(number, field, message))
        if name:
            first_row_of.setdefault(name, number)
            taken_names.add(name)
        uscc = check_uscc(row.uscc) if row.uscc else None
        if uscc is not None and uscc.well_formed:
            first_row_of.setdefault(uscc.code, number)
            taken_usccs.add(uscc.code)
        if checked is not None:
            warnings += [RowProblem(number, field, message) for field, message in checked.warnings]
            checked_rows.append((number, checked))
        if index % PROGRESS_EVERY == 0:
            UnitImport.objects.filter(pk=unit_import.pk).update(checked_rows=index)
    UnitImport.objects.filter(pk=unit_import.pk).update(checked_rows=total)
    if errors:
        return _finish(
            unit_import,
            ImportStatus.FAILED,
            errors=[p.to_json() for p in errors],
            warnings=[p.to_json() for p in warnings],
        )
    try:
        created = _create_all(unit_import, checked_rows)
    except IntegrityError as exc:
        logger.warning("unit import %s refused by the database: %s", unit_import.pk, exc)
        problem = RowProblem(0, "file", "导入时有单位名称或信用代码刚被他人登记，已全部撤销，请重新导入")
        return _finish(unit_import, ImportStatus.FAILED, errors=[problem.to_json()])
    return _finish(unit_import, ImportStatus.IMPORTED, warnings=[p.to_json() for p in warnings], created=created)


def _create_all(unit_import: UnitImport, checked_rows) -> int:
    now = timezone.now()
    with transaction.atomic():
        taken_codes: set[str] = set()
        units = []
        for _, checked in checked_rows:
            code = new_unit_code(taken_codes)
            taken_codes.add(code)
            unit = unit_from_checked(checked, code=code, status=UnitStatus.APPROVED, source=UnitSource.IMPORTED)
            unit.reviewed_at = now
            unit.reviewed_by_id = unit_import.created_by_id
            units.append(unit)
        Unit.objects.bulk_create(units, batch_size=500)
        by_name = {unit.name: unit for unit in Unit.objects.filter(name__in=[u.name for u in units])}
        for _, checked in checked_rows:
            if checked.parent_name:
                Unit.objects.filter(pk=by_name[checked.name].pk).update(parent=by_name[checked.parent_name])
        _event(
            EventAction.UNIT_IMPORTED,
            actor=unit_import.created_by,
            import_id=unit_import.pk,
            file=unit_import.original_name,
            units=len(units),
        )
    return len(units)


def _finish(unit_import: UnitImport, status: str, *, errors=(), warnings=(), created: int = 0) -> UnitImport:
    UnitImport.objects.filter(pk=unit_import.pk).update(
        status=status,
        errors=list(errors),
        warnings=list(warnings),
        created_units=created,
        finished_at=timezone.now(),
    )
    unit_import.refresh_from_db()
    return unit_import


def template_workbook() -> bytes:
    """The import template: headers (required ones starred) and one example row."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "单位"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["鄂州市某某局", "机关", "", "鄂城区", "", "", "张老师", "0711-3200000", 120])
    for column, width in zip("ABCDEFGHI", (28, 10, 22, 10, 12, 20, 10, 16, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def start_unit_import(*, upload, actor) -> UnitImport:
    """Store an uploaded file and import it: inline when small, else in the background worker.

    Either way the staff page shows the same report; a background import reports progress as it checks.
    """
    unit_import = UnitImport.objects.create(file=upload, original_name=upload.name[:200], created_by=actor)
    try:
        with unit_import.file.open("rb") as handle:
            rows = count_rows(handle)
    except ImportFileError as exc:
        return _finish(unit_import, ImportStatus.FAILED, errors=[RowProblem(1, "file", str(exc)).to_json()])
    UnitImport.objects.filter(pk=unit_import.pk).update(total_rows=rows)
    if rows <= INLINE_MAX_ROWS:
        return run_import(unit_import)
    from gongyi.drives.tasks import import_units

    transaction.on_commit(lambda: import_units(unit_import.pk))
    unit_import.refresh_from_db()
    return unit_import
