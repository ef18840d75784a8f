"""Customers' photos and documents: checked, cleaned and stored where only a view serves them.

Issue 15, point 4. A file is judged by its content, never by its name or the browser's
content type: its first bytes say what it claims to be, and then it must really be that.
Images (JPEG, PNG, HEIC) are decoded in full and encoded again, so what is stored holds
pixels only: no EXIF (the GPS position of a customer's home), no comment, no trailing
archive or script glued to a valid image (a polyglot). PDFs are read with pypdf, refused
when they are encrypted, unreadable or can act (JavaScript, launch actions, embedded
files), and written out again by pypdf, which drops whatever trails the document.

`attachments_check` judges every file before anything is stored, and raises for the first
refused one; `attachments_store` then saves the cleaned bytes under a random name in the
private storage (settings.PRIVATE_MEDIA_ROOT, outside the web root).
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from rma.errors import TicketError
from rma.models import Attachment

if TYPE_CHECKING:
    from accounts.models import User
    from rma.models import Ticket, TicketMessage

# HEIC is what iPhones take photos in; Pillow reads it through pillow-heif.
pillow_heif.register_heif_opener()

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
_EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}

# Our own ceiling on an image's pixels, below Pillow's (MAX_IMAGE_PIXELS, ~89 million):
# a 50-megapixel photo decodes to ~150 MB; a 1 MB PNG declaring 50000 x 50000 would be 7 GB.
MAX_PIXELS = 50_000_000
# How many PDF objects the check visits before it gives up on a file as unreadable.
MAX_PDF_OBJECTS = 100_000
JPEG_QUALITY = 90

# HEIF brands of still images (ISO/IEC 23008-12); AVIF and the like are not accepted.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class AttachmentRefused(TicketError):
    """A file the customer sent that is not stored, with a sentence naming it."""


# What the customer reads, each sentence naming the file (%(name)s).
TOO_MANY = ngettext_lazy(
    "At most %(count)d file can be attached.", "At most %(count)d files can be attached.", "count"
)
NOT_ACCEPTED = _("%(name)s is not a JPEG, PNG, HEIC or PDF file.")
TOO_LARGE = _("%(name)s is larger than %(size)s.")
EMPTY = _("%(name)s is empty.")
HIDES_SOMETHING = _(
    "%(name)s holds more than a picture or a document (a program, an archive or a web "
    "page) and cannot be accepted."
)
TOO_MANY_PIXELS = _("%(name)s has too many pixels to be a photo.")
PDF_TRAILING = _("%(name)s has other data after the end of the PDF.")
PDF_ENCRYPTED = _("%(name)s is protected with a password; please send it without one.")
PDF_ACTIVE = _(
    "%(name)s contains scripts, actions or embedded files; please send a plain PDF or a photo."
)
PDF_UNREADABLE = _("%(name)s cannot be read as a PDF file.")
MEGABYTES = _("%(size)s MB")


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the check: its cleaned bytes, the type read from them, and the
    customer's file name made safe (its extension the type's)."""

    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def attachments_check(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Check and clean every file, or raise AttachmentRefused for the first bad one.

    Nothing is stored here: the caller stores the result (attachments_store) only when
    every file passed, so one bad file among five leaves no trace.
    """
    max_count = settings.ATTACHMENT_MAX_COUNT
    if len(files) > max_count:
        raise AttachmentRefused(TOO_MANY % {"count": max_count})
    return [_check(upload) for upload in files]


@transaction.atomic
def attachments_store(
    *,
    ticket: Ticket,
    files: Sequence[CheckedFile],
    by: User | None,
    message: TicketMessage | None = None,
) -> list[Attachment]:
    """Store checked files with the ticket (and the message they came with).

    Each file gets a random name in the private storage (rma.models._attachment_path);
    the customer's name is kept in `name` only. Call it inside your transaction: if
    storing one file fails, the files already written are removed again. (Should your
    transaction roll back after this returns, the files stay on disk without a row:
    unreachable, as no URL names them.)
    """
    written: list[Attachment] = []
    try:
        for checked in files:
            attachment = Attachment(
                ticket=ticket,
                message=message,
                by=by,
                name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
            )
            extension = _EXTENSIONS[checked.content_type]
            attachment.file.save(f"upload.{extension}", ContentFile(checked.data), save=False)
            written.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in written:
            attachment.file.delete(save=False)
        raise
    return written


# The refusals, each naming the file.


def _not_accepted(name: str) -> AttachmentRefused:
    return AttachmentRefused(NOT_ACCEPTED % {"name": name})


def _too_large(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        TOO_LARGE % {"name": name, "size": _megabytes(settings.ATTACHMENT_MAX_BYTES)}
    )


def _megabytes(size: int) -> str:
    """The limit as people say it: "10 MB", "2.5 MB" ("2,5 MB" in Dutch)."""
    megabytes = size / 1024**2
    if megabytes < 1:
        return filesizeformat(size)
    places = 0 if megabytes.is_integer() else 1
    return MEGABYTES % {"size": number_format(megabytes, decimal_pos=places)}


def _check(upload: UploadedFile) -> CheckedFile:
    name = safe_name(upload.name or "")
    data = _read(upload, name)
    if not data:
        raise AttachmentRefused(EMPTY % {"name": name})
    kind = _kind(data)
    if kind is None:
        raise _not_accepted(name)
    if _hides_something(data, kind):
        raise AttachmentRefused(HIDES_SOMETHING % {"name": name})
    if kind == "PDF":
        content_type, cleaned = PDF, _clean_pdf(data, name)
    else:
        content_type, cleaned = _clean_image(data, kind, name)
    return CheckedFile(
        name=_with_extension(name, _EXTENSIONS[content_type]),
        content_type=content_type,
        data=cleaned,
    )


def _read(upload: UploadedFile, name: str) -> bytes:
    """The upload's bytes, never more than the limit (whatever its `size` claims)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large(name)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(name)
    return data


def _kind(data: bytes) -> str | None:
    """What the first bytes say the file is (its magic number), at offset 0 only."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


# Polyglots: one file that is two things, say a valid JPEG that is also a zip archive (a
# GIFAR), a web page or a program. Re-encoding would drop the second file, but such a file
# was made to deceive, so it is refused outright.

# Markup that a browser would run, anywhere in the file. Each pattern is long enough
# (six or more given bytes) that compressed image data matches it by chance with a
# negligible probability: a real photo is never refused for it.
# Searched in the lower-cased file: plain substrings first (fast), then a pattern.
_MARKUP_WORDS = (b"<script", b"<iframe", b"<object", b"<!doctype", b"javascript:")
_MARKUP = re.compile(rb"<(?:embed[\s/>]|html[\s>]|\?php\s|svg[\s/][^>]{0,200}?(?:xmlns|on\w+\s*=))")
# What may not follow an image's end: executables, archives, documents, scripts.
_FOREIGN_STARTS = (
    b"MZ",  # Windows (PE)
    b"\x7fELF",  # Linux
    b"\xca\xfe\xba\xbe",  # Java class, Mach-O universal
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"PK",  # zip, jar, docx, apk
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",  # gzip
    b"%PDF",
    b"#!",
    b"<",  # markup of any kind
)
_FOREIGN_INSIDE = (b"This program cannot be run in DOS mode", b"\x7fELF", b"%PDF-")


def _hides_something(data: bytes, kind: str) -> bool:
    """Whether the file is also a zip archive, carries markup, or has an executable, an
    archive, a document or a script after the image ends (a camera's own trailer, such
    as a motion photo's video or a second JPEG, is left alone and dropped later)."""
    lowered = data.lower()
    if any(word in lowered for word in _MARKUP_WORDS) or _MARKUP.search(lowered):
        return True
    # A zip is read from its end (its central directory): a GIFAR is a valid image and a
    # valid archive at once.
    if zipfile.is_zipfile(io.BytesIO(data)):
        return True
    if kind == "PDF":
        return False  # _clean_pdf refuses anything after %%EOF
    end = _image_end(data, kind)
    if end is None:
        return False  # the decoder judges a file whose structure we do not follow
    rest = data[end:].lstrip(b"\x00\r\n\t ")
    if rest.startswith(_FOREIGN_STARTS):
        return True
    return any(marker in rest for marker in _FOREIGN_INSIDE)


def _image_end(data: bytes, kind: str) -> int | None:
    """Where the image's own structure ends, or None when it cannot be followed."""
    if kind == "PNG":
        return _png_end(data)
    if kind == "JPEG":
        return _jpeg_end(data)
    return _bmff_end(data)


def _png_end(data: bytes) -> int | None:
    i = 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        chunk = data[i + 4 : i + 8]
        i += 12 + length
        if chunk == b"IEND":
            return i if i <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """The offset after the first image's EOI marker, following the segments' lengths and
    the entropy-coded data of each scan."""
    n = len(data)
    i = 2  # after SOI
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            return None
        i += length
        if marker == 0xDA:  # SOS: skip the scan's data up to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    return None
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    i = j + 2
                elif following == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break
    return None


def _bmff_end(data: bytes) -> int | None:
    """The end of the last ISO base media box (HEIF) that fits in the file."""
    n = len(data)
    i = 0
    while i + 8 <= n:
        size = int.from_bytes(data[i : i + 4], "big")
        if size == 0:
            return n
        if size == 1:
            if i + 16 > n:
                return i
            size = int.from_bytes(data[i + 8 : i + 16], "big")
        if size < 8 or i + size > n:
            return i
        i += size
    return i


# Images


def _clean_image(data: bytes, kind: str, name: str) -> tuple[str, bytes]:
    """Decode the whole image and encode its pixels again, without any metadata.

    JPEG stays JPEG, PNG stays PNG, HEIC becomes JPEG (what every browser shows). The
    orientation the camera recorded is applied to the pixels, then dropped with the rest.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns of a decompression bomb, and refuses at twice its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise AttachmentRefused(TOO_MANY_PIXELS % {"name": name})
                image.load()  # decode all of it: a truncated or forged file fails here
                clean = _pixels_only(image)
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentRefused(TOO_MANY_PIXELS % {"name": name}) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise _not_accepted(name) from None
    except Exception:  # a decoder's own failure on a forged file
        raise _not_accepted(name) from None

    out = io.BytesIO()
    if kind == "PNG":
        clean.save(out, format="PNG", optimize=False)
        return PNG, out.getvalue()
    if clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(out, format="JPEG", quality=JPEG_QUALITY)
    return JPEG, out.getvalue()


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image of the same pixels, upright, in sRGB, with no metadata at all."""
    upright = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    if icc and upright.mode in ("RGB", "RGBA"):
        # Keep the colours of a Display P3 (iPhone) photo while dropping the profile.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            upright = ImageCms.profileToProfile(upright, source, srgb) or upright
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    if upright.mode.startswith("I;16"):  # 16-bit grey (scanners): scale, do not clip
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    if upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    clean = Image.new(upright.mode, upright.size)
    if upright.mode == "P":
        clean.putpalette(upright.getpalette() or [])
    clean.paste(upright)  # the pixels, and nothing of `info` (EXIF, XMP, text, ICC)
    if "transparency" in image.info and upright.mode in ("P", "L", "RGB"):
        clean.info["transparency"] = image.info["transparency"]
    return clean


# PDFs

# Names that make a PDF act rather than show: scripts, launching programs, files inside
# it, forms that run (XFA), rich media (Flash, 3D), and actions on opening or on events.
_ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/OpenAction",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/XFA",
    "/RichMedia",
}
_ACTIVE_VALUES = {
    "/JavaScript",
    "/Launch",
    "/EmbeddedFile",
    "/FileAttachment",
    "/RichMedia",
    "/GoToE",
    "/ImportData",
    "/SubmitForm",
    "/Sound",
    "/Movie",
}
# After the last %%EOF a PDF may end in line breaks or padding; anything more is another
# file riding along (a zip, an HTML page).
_END = re.compile(rb"%%EOF[\s\x00]*\Z")


def _clean_pdf(data: bytes, name: str) -> bytes:
    """Read the PDF with pypdf, refuse what can act, and write it out again."""
    if not _END.search(data[-1024:]):
        raise AttachmentRefused(PDF_TRAILING % {"name": name})
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentRefused(PDF_ENCRYPTED % {"name": name})
        if len(reader.pages) == 0:
            raise _unreadable_pdf(name)
        if _acts(reader.trailer):
            raise AttachmentRefused(PDF_ACTIVE % {"name": name})
        writer = PdfWriter(clone_from=reader)
        _drop_pdf_metadata(writer)
        out = io.BytesIO()
        writer.write(out)
    except AttachmentRefused:
        raise
    except Exception:  # pypdf's many ways of failing on a broken or forged file
        raise _unreadable_pdf(name) from None
    return out.getvalue()


def _unreadable_pdf(name: str) -> AttachmentRefused:
    return AttachmentRefused(PDF_UNREADABLE % {"name": name})


def _acts(trailer: DictionaryObject) -> bool:
    """Whether anything reachable in the document can act (see _ACTIVE_KEYS/_VALUES)."""
    seen: set[tuple[int, int]] = set()
    todo: list[Any] = [trailer]
    visited = 0
    while todo:
        node = todo.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in _ACTIVE_KEYS:
                    return True
                if isinstance(value, NameObject) and value in _ACTIVE_VALUES:
                    return True
                todo.append(value)
        elif isinstance(node, ArrayObject):
            todo.extend(node)
    return False


def _drop_pdf_metadata(writer: PdfWriter) -> None:
    """Drop the document's author, software and XMP packet: what a photo's EXIF is."""
    writer.metadata = None
    writer._root_object.pop(NameObject("/Metadata"), None)


# File names


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(name: str) -> str:
    """The customer's file name, fit to show and to name a download: no folders, no
    control characters, nothing a file system or a header treats specially, not too long."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE.sub("_", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem[:100]
    name = f"{stem}.{extension[:10]}" if extension else stem
    return name or str(_("attachment"))


def _with_extension(name: str, extension: str) -> str:
    """The name with the extension of what the file is (photo.HEIC becomes photo.jpg)."""
    stem, dot, old = name.rpartition(".")
    if not dot or not stem:
        stem = name
    return f"{stem}.{extension}"
