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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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
        raise AttachmentRefused(
            ngettext(
                "At most %(count)d file can be attached.",
                "At most %(count)d files can be attached.",
                max_count,
            )
            % {"count": max_count}
        )
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
    storing one file fails, the files already written are removed again.
    """
    stored: list[Attachment] = []
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
            attachment.save()
            stored.append(attachment)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


# The refusals, each naming the file.


def _not_accepted(name: str) -> AttachmentRefused:
    return AttachmentRefused(_("%(name)s is not a JPEG, PNG, HEIC or PDF file.") % {"name": name})


def _too_large(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("%(name)s is larger than %(size)s.")
        % {"name": name, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
    )


def _check(upload: UploadedFile) -> CheckedFile:
    name = safe_name(upload.name or "")
    data = _read(upload, name)
    if not data:
        raise AttachmentRefused(_("%(name)s is empty.") % {"name": name})
    kind = _kind(data)
    if kind in ("JPEG", "PNG", "HEIF"):
        content_type, cleaned = _clean_image(data, kind, name)
    elif kind == "PDF":
        content_type, cleaned = PDF, _clean_pdf(data, name)
    else:
        raise _not_accepted(name)
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
                    raise AttachmentRefused(
                        _("%(name)s has too many pixels to be a photo.") % {"name": name}
                    )
                image.load()  # decode all of it: a truncated or forged file fails here
                clean = _pixels_only(image)
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentRefused(
            _("%(name)s has too many pixels to be a photo.") % {"name": name}
        ) from None
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
        raise AttachmentRefused(
            _("%(name)s has other data after the end of the PDF.") % {"name": name}
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentRefused(
                _("%(name)s is protected with a password; please send it without one.")
                % {"name": name}
            )
        if len(reader.pages) == 0:
            raise _unreadable_pdf(name)
        if _acts(reader.trailer):
            raise AttachmentRefused(
                _(
                    "%(name)s contains scripts, actions or embedded files; "
                    "please send a plain PDF or a photo."
                )
                % {"name": name}
            )
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
    return AttachmentRefused(_("%(name)s cannot be read as a PDF file.") % {"name": name})


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
    return name or _("attachment")


def _with_extension(name: str, extension: str) -> str:
    """The name with the extension of what the file is (photo.HEIC becomes photo.jpg)."""
    stem, dot, old = name.rpartition(".")
    if not dot or not stem:
        stem = name
    return f"{stem}.{extension}"
