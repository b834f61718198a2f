"""Import and export of the coordinators' Excel 台账 of volunteers and residents.

Every sheet column is declared once (``Column``): its Chinese header, the
schema field it feeds, how a cell becomes schema input and how a record
becomes a cell again. Import, export, the empty templates and the sample
files all read these declarations, so they cannot drift apart.

Rows go through the API's own schemas (``VolunteerIn`` / ``ResidentIn``) and
services, so no rule is stated twice. What the services would look up row by
row (place codes, the skill catalogue, duplicate phones) is looked up once per
file, and created rows are flushed in batches: that is what makes 5,000 rows
take seconds, and it lets the report name both rows of a duplicate. A file is
written inside one savepoint: if any row fails, nothing is kept.

Modules: ``cells`` (cell values both ways, and the
per-file lookups), ``sheets`` (the column declarations of each registry),
``importing`` (reading files, checking rows, creating them) and ``exporting``
(exports, templates, samples). Callers import from the package itself.
"""
from .cells import (Availability, Cell, CellError, Choice, ChoiceList, Day, IdNumber, Lookups, Phone, PlaceCode,
                    Skills, Text, WholeNumber, WriteContext, as_text, clean_text, is_blank, split_list)
from .exporting import (FIXED_STAMP, TEMPLATE_DIR, export_file, export_records, rows_for,
                        sample_rows, template_name, write_csv, write_templates, write_xlsx)
from .importing import MAX_ROWS, ImportResult, RowErrors, import_file, read_table
from .sheets import KINDS, RESIDENTS, VOLUNTEERS, Column, Kind, kind_named

__all__ = [
    "FIXED_STAMP", "KINDS", "MAX_ROWS", "RESIDENTS", "TEMPLATE_DIR", "VOLUNTEERS",
    "Availability", "Cell", "CellError", "Choice", "ChoiceList", "Column", "Day", "IdNumber", "ImportResult", "Kind",
    "Lookups", "Phone", "PlaceCode", "RowErrors", "Skills", "Text", "WholeNumber", "WriteContext",
    "as_text", "clean_text", "export_file", "export_records", "import_file", "is_blank", "kind_named",
    "read_table", "rows_for", "sample_rows", "split_list", "template_name", "write_csv", "write_templates",
    "write_xlsx",
]
