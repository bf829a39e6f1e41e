"""Written-testimony uploads: the type is decided by the content, never by the name (pure).

A PDF starts with `%PDF-` and must open with pypdf; a DOCX is a zip archive holding `word/document.xml`.
Anything else, or anything over MAX_UPLOAD_BYTES, is refused with a message meant for the witness's coach.
"""
import io
import zipfile
from xml.etree import ElementTree

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_DOCX_XML_BYTES = 20 * 1024 * 1024  # uncompressed document.xml: refuse zip bombs
PDF, DOCX = "pdf", "docx"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class InvalidUpload(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def detect_type(data: bytes) -> str:
    """"pdf" or "docx" from the bytes themselves; InvalidUpload otherwise."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidUpload("file_too_large", f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise InvalidUpload("empty_file", "The file is empty.")
    if data.startswith(b"%PDF-"):
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            if len(PdfReader(io.BytesIO(data)).pages) == 0:
                raise InvalidUpload("unreadable_file", "The PDF has no pages.")
        except (PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise InvalidUpload("unreadable_file", f"The PDF could not be read ({type(exc).__name__}).")
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            pass
    raise InvalidUpload("unsupported_file_type", "Upload a PDF or a Word (.docx) document.")


def docx_paragraphs(data: bytes) -> list[str]:
    """The text of a DOCX, one string per paragraph (what the packet prints)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > MAX_DOCX_XML_BYTES:
            raise InvalidUpload("file_too_large", "The document's text is too large.")
        root = ElementTree.fromstring(archive.read(info))
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    return paragraphs
