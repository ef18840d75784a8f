"""Customers' photos and documents: only real pictures and plain PDFs are kept, cleaned,
and served to the ticket's owner and staff (issue 15, point 4).

The hostile files are made here, from Pillow, pypdf and plain bytes, so each test shows
what it sends.
"""

import datetime as dt
import io
import random
import struct
import zipfile
import zlib

import pillow_heif
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, transaction
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from rma.attachments import (
    AttachmentRefused,
    CheckedFile,
    attachments_check,
    attachments_store,
)
from rma.models import Attachment
from rma.states import State
from tests.factories import AMSTERDAM, UserFactory
from tests.rma.lifecycle import ticket_in

# The factories' orders were delivered on 3 October 2026.
IN_OCTOBER = time_machine.travel(dt.datetime(2026, 10, 5, 12, 0, tzinfo=AMSTERDAM), tick=False)


@pytest.fixture
def private_root(settings, tmp_path):
    """The private storage in a folder of the test's own, to see what lands on disk."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket(anna, private_root):
    with IN_OCTOBER:
        return ticket_in(State.REQUESTED, customer=anna)


def upload(ticket, *files):
    """What the portal does with a form's files: check them all, then store them."""
    with transaction.atomic():
        checked = attachments_check(files)
        return attachments_store(ticket=ticket, files=checked, by=ticket.order.customer.user)


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


# The files


def image_bytes(format="JPEG", size=(64, 48), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=format, **save)
    return out.getvalue()


def jpeg(name="photo.jpg", **save):
    return SimpleUploadedFile(name, image_bytes("JPEG", **save), content_type="image/jpeg")


def png(name="screen.png"):
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def pdf_bytes(change=None):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": "Anna de Vries", "/Producer": "Scanner 3000"})
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf(name="invoice.pdf", change=None):
    return SimpleUploadedFile(name, pdf_bytes(change), content_type="application/pdf")


def with_gps_and_orientation():
    """A 40 x 20 photo that the camera held upright (orientation 6: turn it 90°), taken at
    a customer's home."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone maker"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 30.0)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 120, 200)).save(out, "JPEG", exif=exif, comment=b"secret")
    return out.getvalue()


def png_declaring(width, height):
    """A tiny PNG whose header declares `width` x `height` pixels: a decompression bomb."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def text_chunk(key, value):
    info = PngInfo()
    info.add_text(key, value)
    return info


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/my/')</script></body></html>"


def add_javascript(writer):
    """A script run on opening, in the document's name tree (as pypdf's old add_js)."""
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hello');"),
        }
    )
    names = ArrayObject([TextStringObject("hello"), writer._add_object(script)])
    tree = DictionaryObject({NameObject("/Names"): names})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )


def add_launch_action(writer):
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def add_embedded_file(writer):
    writer.add_attachment("update.exe", PE)


def encrypt(writer):
    writer.encrypt("secret")


# What is refused, each with its sentence, and nothing stored.

REFUSED = [
    pytest.param(
        "photo.jpg",
        lambda: image_bytes() + zip_bytes(),
        "photo.jpg holds more than a picture or a document",
        id="polyglot: a JPEG that is also a zip (GIFAR)",
    ),
    pytest.param(
        "photo.jpg",
        lambda: image_bytes() + HTML,
        "photo.jpg holds more than a picture or a document",
        id="polyglot: a JPEG with a web page after it",
    ),
    pytest.param(
        "photo.png",
        lambda: image_bytes("PNG") + PE,
        "photo.png holds more than a picture or a document",
        id="polyglot: a PNG with a Windows program after it",
    ),
    pytest.param(
        "photo.jpg",
        lambda: image_bytes(comment=b"<script>alert(1)</script>"),
        "photo.jpg holds more than a picture or a document",
        id="polyglot: a JPEG with a script in its comment",
    ),
    pytest.param(
        "photo.png",
        lambda: image_bytes("PNG", pnginfo=text_chunk("Comment", "<SVG ONLOAD=alert(1)>")),
        "photo.png holds more than a picture or a document",
        id="polyglot: a PNG with markup in a text chunk",
    ),
    pytest.param(
        "photo.jpg",
        lambda: image_bytes() + pdf_bytes(),
        "photo.jpg holds more than a picture or a document",
        id="polyglot: a JPEG followed by a PDF",
    ),
    pytest.param(
        "scan.pdf",
        lambda: (
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + pdf_bytes()[9:]
        ),
        "scan.pdf is not a JPEG, PNG, HEIC or PDF file.",
        id="polyglot: a PDF behind a JPEG header",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: pdf_bytes() + zip_bytes(),
        "invoice.pdf holds more than a picture or a document",
        id="polyglot: a PDF that is also a zip",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: pdf_bytes() + b"\x00garbage that is not a PDF",
        "invoice.pdf has other data after the end of the PDF.",
        id="a PDF with data after its end",
    ),
    pytest.param(
        "drawing.svg",
        lambda: SVG,
        "drawing.svg is not a JPEG, PNG, HEIC or PDF file.",
        id="an SVG with a script",
    ),
    pytest.param(
        "photo.jpg",
        lambda: SVG,
        "photo.jpg is not a JPEG, PNG, HEIC or PDF file.",
        id="an SVG named as a photo",
    ),
    pytest.param(
        "page.html",
        lambda: HTML,
        "page.html is not a JPEG, PNG, HEIC or PDF file.",
        id="a web page",
    ),
    pytest.param(
        "photo.jpg",
        lambda: ELF,
        "photo.jpg is not a JPEG, PNG, HEIC or PDF file.",
        id="a renamed Linux program",
    ),
    pytest.param(
        "photo.jpg",
        lambda: PE,
        "photo.jpg is not a JPEG, PNG, HEIC or PDF file.",
        id="a renamed Windows program",
    ),
    pytest.param(
        "bomb.png",
        lambda: png_declaring(50_000, 50_000),
        "bomb.png has too many pixels to be a photo.",
        id="a decompression bomb beyond Pillow's own limit",
    ),
    pytest.param(
        "bomb.png",
        lambda: png_declaring(8_000, 8_000),
        "bomb.png has too many pixels to be a photo.",
        id="a decompression bomb beyond our limit",
    ),
    pytest.param(
        "photo.jpg",
        lambda: image_bytes()[:300],
        "photo.jpg is not a JPEG, PNG, HEIC or PDF file.",
        id="a truncated JPEG",
    ),
    pytest.param(
        "photo.jpg",
        lambda: b"\xff\xd8\xff" + b"A" * 2000,
        "photo.jpg is not a JPEG, PNG, HEIC or PDF file.",
        id="a JPEG header and nothing of an image",
    ),
    pytest.param(
        "secret.pdf",
        lambda: pdf_bytes(encrypt),
        "secret.pdf is protected with a password; please send it without one.",
        id="an encrypted PDF",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: pdf_bytes(add_javascript),
        "invoice.pdf contains scripts, actions or embedded files",
        id="a PDF with JavaScript",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: pdf_bytes(add_launch_action),
        "invoice.pdf contains scripts, actions or embedded files",
        id="a PDF that launches a program",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: pdf_bytes(add_embedded_file),
        "invoice.pdf contains scripts, actions or embedded files",
        id="a PDF carrying a file",
    ),
    pytest.param(
        "invoice.pdf",
        lambda: b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n",
        "invoice.pdf cannot be read as a PDF file.",
        id="a PDF that cannot be read",
    ),
    pytest.param("empty.jpg", lambda: b"", "empty.jpg is empty.", id="an empty file"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_it_refuses_the_file_and_stores_nothing(ticket, private_root, name, content, message):
    hostile = SimpleUploadedFile(name, content(), content_type="image/jpeg")

    with pytest.raises(AttachmentRefused) as refused:
        upload(ticket, jpeg("first.jpg"), hostile)

    assert message in str(refused.value)
    assert not Attachment.objects.exists()
    assert stored_files(private_root) == []


@pytest.mark.django_db
def test_it_refuses_more_files_than_the_limit(ticket, private_root, settings):
    settings.ATTACHMENT_MAX_COUNT = 5

    with pytest.raises(AttachmentRefused, match=r"^At most 5 files can be attached\.$"):
        upload(ticket, *(jpeg(f"photo{n}.jpg") for n in range(6)))

    assert not Attachment.objects.exists()
    assert stored_files(private_root) == []


@pytest.mark.django_db
def test_it_accepts_as_many_files_as_the_limit(ticket, settings):
    settings.ATTACHMENT_MAX_COUNT = 2

    assert len(upload(ticket, jpeg("one.jpg"), png("two.png"))) == 2


@pytest.mark.django_db
def test_it_refuses_an_image_over_the_size_limit(ticket, private_root, settings):
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    noise = Image.frombytes("RGB", (1200, 1000), random.Random(1).randbytes(1200 * 1000 * 3))
    big = io.BytesIO()
    noise.save(big, "PNG")
    assert len(big.getvalue()) > 2 * 1024 * 1024

    with pytest.raises(AttachmentRefused, match=r"^huge\.png is larger than 2 MB\.$"):
        upload(ticket, SimpleUploadedFile("huge.png", big.getvalue(), "image/png"))

    assert not Attachment.objects.exists()
    assert stored_files(private_root) == []


def test_the_size_limit_reads_as_people_say_it(settings):
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    too_big = SimpleUploadedFile("video.mp4", b"\x00" * (10 * 1024 * 1024 + 1))

    with pytest.raises(AttachmentRefused, match=r"^video\.mp4 is larger than 10 MB\.$"):
        attachments_check([too_big])


# What is accepted, cleaned.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: image_bytes(progressive=True) + ELF, id="progressive JPEG"),
        pytest.param(lambda: image_bytes(restart_marker_blocks=1) + ELF, id="restart markers"),
    ],
)
def test_it_finds_a_program_after_the_end_of_any_jpeg(ticket, content):
    with pytest.raises(AttachmentRefused, match="holds more than a picture"):
        upload(ticket, SimpleUploadedFile("photo.jpg", content()))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "trailer",
    [
        pytest.param(lambda: image_bytes(size=(16, 12)), id="a second picture (MPF)"),
        pytest.param(
            lambda: b"\x00\x00\x00\x18ftypmp42" + random.Random(2).randbytes(4000),
            id="a motion photo's video",
        ),
    ],
)
def test_a_cameras_own_trailer_is_accepted_and_dropped(ticket, trailer):
    extra = trailer()

    (attachment,) = upload(ticket, SimpleUploadedFile("photo.jpg", image_bytes() + extra))

    assert extra not in attachment.file.read()


@pytest.mark.django_db
def test_a_16_bit_grey_scan_keeps_its_greys(ticket):
    out = io.BytesIO()
    Image.new("I;16", (20, 10), 32768).save(out, "PNG")

    (attachment,) = upload(ticket, SimpleUploadedFile("scan.png", out.getvalue()))

    with Image.open(attachment.file) as image:
        assert image.mode == "L"
        assert image.getpixel((0, 0)) == 128


@pytest.mark.django_db
def test_a_photo_comes_back_upright_without_its_gps_position(ticket, private_root):
    photo = SimpleUploadedFile("IMG_0042.JPG", with_gps_and_orientation(), "image/jpeg")

    (attachment,) = upload(ticket, photo)

    stored = attachment.file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (20, 40)  # turned as the camera said
        assert not image.getexif()
        assert "exif" not in image.info
        assert "comment" not in image.info
    assert b"Phone maker" not in stored
    assert attachment.name == "IMG_0042.jpg"
    assert attachment.content_type == "image/jpeg"
    assert attachment.size == len(stored)
    assert attachment.by == ticket.order.customer.user


@pytest.mark.django_db
def test_a_heic_photo_is_kept_as_jpeg(ticket):
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(out, format="HEIF", quality=80)
    heic = SimpleUploadedFile("IMG_0001.HEIC", out.getvalue(), "image/heic")

    (attachment,) = upload(ticket, heic)

    with Image.open(attachment.file) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
    assert attachment.name == "IMG_0001.jpg"
    assert attachment.content_type == "image/jpeg"


@pytest.mark.django_db
def test_a_png_is_kept_as_png_under_a_random_name(ticket, private_root):
    (attachment,) = upload(ticket, png("Screenshot 2026-10-04 at 10.00.png"))

    with Image.open(attachment.file) as image:
        assert image.format == "PNG"
    assert attachment.name == "Screenshot 2026-10-04 at 10.00.png"
    assert attachment.content_type == "image/png"
    (path,) = stored_files(private_root)
    assert "Screenshot" not in str(path)
    assert path.suffix == ".png"


@pytest.mark.django_db
def test_the_type_comes_from_the_content_not_the_name(ticket):
    (attachment,) = upload(
        ticket, SimpleUploadedFile("photo.png", image_bytes("JPEG"), content_type="text/html")
    )

    assert attachment.content_type == "image/jpeg"
    assert attachment.name == "photo.jpg"


@pytest.mark.django_db
def test_a_plain_pdf_is_kept_without_its_metadata(ticket):
    (attachment,) = upload(ticket, pdf())

    stored = attachment.file.read()
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1
    assert not (reader.metadata or {}).get("/Author")
    assert b"Anna de Vries" not in stored
    assert attachment.content_type == "application/pdf"
    assert attachment.name == "invoice.pdf"


@pytest.mark.django_db
def test_a_file_name_is_made_safe(ticket):
    (attachment,) = upload(ticket, jpeg('..\\..\\evil"\r\nname<x>.jpg'))

    assert attachment.name == "evil_name_x_.jpg"


@pytest.mark.django_db
def test_files_go_with_the_message_they_came_with(ticket):
    from rma.models import TicketMessage

    message = TicketMessage.objects.create(
        ticket=ticket, by=ticket.order.customer.user, from_customer=True, body="See the photo."
    )
    checked = attachments_check([jpeg()])

    (attachment,) = attachments_store(ticket=ticket, files=checked, by=None, message=message)

    assert list(message.attachments.all()) == [attachment]


@pytest.mark.django_db
def test_a_failed_store_leaves_no_file_behind(ticket, private_root):
    (good,) = attachments_check([jpeg()])
    too_long = CheckedFile(name="x" * 300 + ".jpg", content_type=good.content_type, data=good.data)

    with pytest.raises(DataError):
        attachments_store(ticket=ticket, files=[good, too_long], by=None)

    assert stored_files(private_root) == []


# The download


@pytest.fixture
def photo(ticket):
    (attachment,) = upload(ticket, jpeg("my photo é.jpg"))
    return attachment


def body(response):
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_owner_sees_their_photo_and_it_cannot_run_script(client, photo):
    client.force_login(photo.ticket.order.customer.user)

    response = client.get(f"/attachments/{photo.key}/")

    assert response.status_code == 200
    assert body(response) == photo.file.open("rb").read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('inline; filename="my_photo_e.jpg"')
    assert "filename*=UTF-8''my%20photo%20%C3%A9.jpg" in response["Content-Disposition"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_pdf_is_served_inline_without_scripts(client, ticket):
    (document,) = upload(ticket, pdf())
    client.force_login(ticket.order.customer.user)

    response = client.get(f"/attachments/{document.key}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="invoice.pdf"')
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_staff_who_see_tickets_see_the_photo(client, photo, support):
    client.force_login(support)

    assert client.get(f"/attachments/{photo.key}/").status_code == 200


@pytest.mark.django_db
def test_another_customer_gets_not_found(client, photo, stranger):
    client.force_login(stranger)

    assert client.get(f"/attachments/{photo.key}/").status_code == 404


@pytest.mark.django_db
def test_staff_without_the_ticket_permission_get_not_found(client, photo):
    client.force_login(UserFactory(email="intern@webstore4.example", is_staff=True))

    assert client.get(f"/attachments/{photo.key}/").status_code == 404


@pytest.mark.django_db
def test_nobody_logged_in_gets_not_found(client, photo):
    assert client.get(f"/attachments/{photo.key}/").status_code == 404


@pytest.mark.django_db
def test_an_unknown_key_is_not_found(client, photo):
    client.force_login(photo.ticket.order.customer.user)

    assert client.get("/attachments/00000000-0000-4000-8000-000000000000/").status_code == 404
