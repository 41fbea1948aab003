"""Evidence files of questionnaire answers (framework node 1.3.1): stored safely with the evaluation.

* **size**: at most :data:`MAX_BYTES` per file, :data:`MAX_FILES` per evaluation; an empty file is
  refused;
* **content type**: recognised from the bytes (:func:`sniff`: PDF, PNG, JPEG, Office Open XML
  documents, UTF-8 text/CSV); the file name's extension must agree and the client's claimed type is
  ignored, so a script renamed ``.pdf`` is refused;
* **digest**: sha256 of the stored bytes, shown beside the file, so anyone can check a copy;
* **tenant-owned**: rows carry the enterprise's tenant; a file is attached only while the
  evaluation is editable (draft, returned) and only to an indicator of its system;
* **download with authorisation**: the enterprise reads its own; the evaluator reads the files of
  submitted evaluations only (the evaluation is looked up in the caller's view first). Downloads are
  sent as attachments with ``nosniff`` and a sandboxing content security policy.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import FieldError, NotFound, ValidationFailed, not_found
from somp.modules.evaluation import service
from somp.modules.evaluation.models import EvidenceFile

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 100
TYPES = {  # content type -> extensions the name may have
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "text/csv": (".csv",),
    "text/plain": (".txt",),
}
_OOXML = {"word/": ".docx", "xl/": ".xlsx", "ppt/": ".pptx"}


def safe_name(name: str | None) -> str:
    """The file name without folders or control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    base = base.lstrip(".") or "evidence"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def sniff(data: bytes, name: str) -> str:
    """The content type of ``data`` when it is an allowed kind whose extension ``name`` carries;
    ValueError with the reason otherwise."""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    kind: str | None = None
    if data.startswith(b"%PDF-"):
        kind = "application/pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "image/jpeg"
    elif data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            raise ValueError("a damaged zip archive") from None
        if "[Content_Types].xml" in names:
            found = {e for prefix, e in _OOXML.items() if any(n.startswith(prefix) for n in names)}
            if len(found) == 1:
                kind = next(t for t, exts in TYPES.items() if found & set(exts))
        if kind is None:
            raise ValueError("a zip archive that is not a Word, Excel or PowerPoint document")
    elif ext in (".csv", ".txt"):
        if b"\x00" in data:
            raise ValueError("binary content in a text file")
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("a text file that is not UTF-8") from None
        kind = "text/csv" if ext == ".csv" else "text/plain"
    if kind is None:
        allowed = ", ".join(e for exts in TYPES.values() for e in exts)
        raise ValueError(f"not an accepted kind of file (accepted: {allowed})")
    if ext not in TYPES[kind]:
        raise ValueError(f"the content is {kind} but the name ends in {ext or '(no extension)'}")
    return kind


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError("file", message, code)])


def checked_file(filename: str | None, data: bytes | None) -> tuple[str, str]:
    """The safe name and the recognised content type of an evidence file, or ValidationFailed (field
    ``file``) with the reason: no file, larger than :data:`MAX_BYTES`, empty, or not an accepted kind
    (or a kind its name's extension does not carry). Used for every evidence file of the module."""
    if data is None:
        raise _refuse("attach a file", "missing_file")
    if len(data) > MAX_BYTES:
        raise _refuse(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", "too_large")
    name = safe_name(filename)
    if not data:
        raise _refuse(f"{name}: the file is empty", "empty")
    try:
        kind = sniff(data, name)
    except ValueError as e:
        raise _refuse(f"{name}: {e}", "content_type") from None
    return name, kind


def upload(db: Database, session: Session, evaluation_id: int, indicator_code: str | None, filename: str | None,
           data: bytes | None, user_id: int | None) -> EvidenceFile:  # fmt: skip
    """Attach one evidence file to an indicator of an editable evaluation of the caller's enterprise.
    The evaluation is looked up first (another enterprise's: 404), then the file is checked."""
    ev = service.get_evaluation(session, evaluation_id)
    service._editable(ev)  # noqa: SLF001 - the workflow rule of the evaluation service
    system = service.system_for_evaluation(db, session, ev)
    code = (indicator_code or "").strip()
    try:
        system.indicator(code)
    except KeyError:
        message = f"the system has no indicator {code!r}"
        raise ValidationFailed(
            "unknown indicator", [FieldError("indicator_code", message, "unknown_indicator")]
        ) from None
    name, kind = checked_file(filename, data)
    assert data is not None
    count = session.scalar(select(func.count()).select_from(EvidenceFile).where(EvidenceFile.evaluation_id == ev.id))
    if (count or 0) >= MAX_FILES:
        raise _refuse(f"an evaluation holds at most {MAX_FILES} evidence files", "too_many")
    row = EvidenceFile(
        evaluation_id=ev.id, indicator_code=code, filename=name, content_type=kind, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_at=utcnow(), uploaded_by=user_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def list_for(session: Session, evaluation_id: int) -> list[EvidenceFile]:
    """The evidence files of an evaluation the caller may read (without their content)."""
    ev = service.get_evaluation(session, evaluation_id)
    stmt = select(EvidenceFile).where(EvidenceFile.evaluation_id == ev.id)
    return list(session.scalars(stmt.order_by(EvidenceFile.indicator_code, EvidenceFile.id)).all())


def get(session: Session, evidence_id: int) -> EvidenceFile:
    """One evidence file whose evaluation the caller may read (the evaluator: not a draft's)."""
    row = session.get(EvidenceFile, evidence_id)
    if row is None:
        raise not_found("evidence file", evidence_id)
    try:
        service.get_evaluation(session, row.evaluation_id)
    except NotFound:  # whatever hides the evaluation hides its files
        raise not_found("evidence file", evidence_id) from None
    return row


def delete(session: Session, evidence_id: int) -> None:
    row = get(session, evidence_id)
    service._editable(service.get_evaluation(session, row.evaluation_id))  # noqa: SLF001
    session.delete(row)
    session.flush()


def content_disposition(name: str) -> str:
    """An attachment header that survives any name (RFC 6266 / RFC 5987)."""
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "evidence"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
