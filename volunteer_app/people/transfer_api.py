"""REST endpoints of the Excel / CSV import and export (thin: the work is in the transfer package)."""
import io
from datetime import date

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, pre_load, validate

from ..accounts.policy import current_actor
from ..resources import commit
from ..validation import Id
from . import transfer
from ..spreadsheets import CSV_MIME, XLSX_MIME

blp = Blueprint("transfer", __name__, description="Excel / CSV import and export of volunteers and residents (台账)")

KIND = "<any(volunteers, residents):kind>"
BINARY = {"type": "string", "format": "binary"}


class UploadArgs(Schema):
    file = Upload(required=True, metadata={"description": ".xlsx (first sheet) or .csv in UTF-8, UTF-8 with BOM "
                                                          "or GBK; Chinese headers as in the template"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check every row and report, but keep nothing"})

    @pre_load
    def add_form_fields(self, data, **kwargs):
        """webargs reads only the files of a multipart body; its plain fields are in ``request.form``."""
        form = {key: value for key, value in request.form.items() if key in self.fields and key not in data}
        return {**form, **data}


class ImportResultSchema(Schema):
    created = fields.Integer(metadata={"description": "records created (would be created, for a dry run)"})
    dry_run = fields.Boolean()
    ignored_columns = fields.List(fields.String(), metadata={"description": "headers the template does not know"})


class RowError(Schema):
    row = fields.Integer(metadata={"description": "row number in the sheet (the header is row 1)"})
    column = fields.String(metadata={"description": "column header, empty when the whole row is meant"})
    message = fields.String()


class RowErrors(Schema):
    rows = fields.List(fields.Nested(RowError))


class ImportErrorSchema(Schema):
    code = fields.Integer()
    error = fields.String(metadata={"description": "the stable name of the refusal"})
    message = fields.String()
    errors = fields.Nested(RowErrors)


class ExportArgs(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    community_id = Id(metadata={"description": "one community of your scope; default all of them"})
    full_numbers = fields.Boolean(load_default=False, metadata={
        "description": "write phone and ID numbers in full, so the file can be imported again: only for accounts "
                       "allowed to see personal information (else 403), and written to the audit log"})

    @pre_load
    def blank_means_all(self, data, **kwargs):
        """The page's "all communities" choice sends an empty value."""
        if data.get("community_id") == "":
            data = {key: value for key, value in data.items() if key != "community_id"}
        return data


@blp.route(f"/import/{KIND}")
class Import(MethodView):
    @blp.arguments(UploadArgs, location="files")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, schema=ImportErrorSchema, description="Some rows are invalid; nothing was imported")
    def post(self, upload, kind):
        """Import volunteers or residents from the template; all rows or none

        Every row is checked by the same rules as the single-record API. Any
        error (including a phone already used in that community, in the file
        or in the database) rejects the whole file with a row-by-row report.
        """
        result = transfer.import_file(current_actor(), transfer.kind_named(kind), upload["file"].read(), upload["dry_run"])
        if not result.dry_run:
            commit()
        return result


@blp.route(f"/export/{KIND}")
class Export(MethodView):
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME,
                  description="The import template filled with your records (format=csv: UTF-8 CSV with BOM)")
    def get(self, args, kind):
        """Export volunteers or residents of your communities in the import template

        Phone and ID numbers are masked (such a file cannot be imported again) unless you ask for
        ``full_numbers``, which needs the permission to see personal information and is audited.
        """
        chosen = transfer.kind_named(kind)
        data = transfer.export_file(current_actor(), chosen, args["format"], args.get("community_id"),
                                    args["full_numbers"])
        if args["full_numbers"]:
            commit()  # the audit row
        name = f"{chosen.label}台账-{date.today():%Y%m%d}.{args['format']}"
        mimetype = XLSX_MIME if args["format"] == "xlsx" else CSV_MIME
        response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
        response.headers["Cache-Control"] = "no-store"  # personal information: kept by no cache
        return response


def _shipped_file(kind: str, sample: bool):
    chosen = transfer.kind_named(kind)
    path = transfer.TEMPLATE_DIR / transfer.template_name(chosen, sample)
    label = f"{chosen.label}{'导入示例' if sample else '导入模板'}.xlsx"
    return send_file(io.BytesIO(path.read_bytes()), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=label)


@blp.route(f"/import/templates/{KIND}.xlsx")
class Template(MethodView):
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, kind):
        """The empty import template, with a hint on every column"""
        return _shipped_file(kind, sample=False)


@blp.route(f"/import/samples/{KIND}.xlsx")
class Sample(MethodView):
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, kind):
        """A filled example that imports into the demo district"""
        return _shipped_file(kind, sample=True)
