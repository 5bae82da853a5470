"""Decoding member QR codes in still camera frames: clean, rotated, scaled, noisy, none."""

from __future__ import annotations

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image, ImageFilter

from devices.camera import decode_qr_frame

PAYLOAD = "TMR1:S0042:M00012345:X7Q2"
FRAME = (1280, 720)


def qr_image(payload: str = PAYLOAD, box: int = 6) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(payload)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def in_frame(code: Image.Image, at: tuple[int, int] = (500, 200), shade: int = 205) -> Image.Image:
    """The code held up in front of a camera: a grey room, the phone's white screen."""
    frame = Image.new("L", FRAME, shade)
    frame.paste(code, at)
    return frame


def noisy(image: Image.Image, sigma: float = 50, amount: float = 0.35) -> Image.Image:
    noise = Image.effect_noise(image.size, sigma)
    return Image.blend(image, noise, amount)


def test_a_clean_code_is_read() -> None:
    assert decode_qr_frame(qr_image()) == [PAYLOAD]


def test_a_code_in_a_camera_frame_is_read_in_colour_too() -> None:
    frame = in_frame(qr_image())
    assert decode_qr_frame(frame) == [PAYLOAD]
    assert decode_qr_frame(frame.convert("RGB")) == [PAYLOAD]
    assert decode_qr_frame(frame.convert("1")) == [PAYLOAD]  # converted to grey first


def test_a_code_rotated_about_30_degrees_is_read() -> None:
    rotated = qr_image().rotate(30, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    assert decode_qr_frame(in_frame(rotated, (400, 120))) == [PAYLOAD]


def test_scaled_codes_are_read_small_and_large() -> None:
    code = qr_image(box=10)
    small = code.resize((code.width * 3 // 10, code.height * 3 // 10), Image.Resampling.BILINEAR)
    assert small.width < 120  # about 3 pixels a module
    assert decode_qr_frame(in_frame(small)) == [PAYLOAD]
    large = qr_image(box=2).resize((690, 690), Image.Resampling.NEAREST)
    assert decode_qr_frame(in_frame(large, (300, 10))) == [PAYLOAD]


def test_a_rotated_noisy_blurred_frame_is_read() -> None:
    rotated = qr_image().rotate(-28, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    frame = noisy(in_frame(rotated, (350, 100)).filter(ImageFilter.GaussianBlur(1.2)))
    assert decode_qr_frame(frame) == [PAYLOAD]


def test_a_frame_with_no_code_gives_nothing() -> None:
    assert decode_qr_frame(noisy(Image.new("L", FRAME, 180))) == []
    assert decode_qr_frame(Image.linear_gradient("L").resize(FRAME)) == []


def test_two_codes_are_both_read_once_each() -> None:
    frame = in_frame(qr_image("TMR1:A"), (100, 100))
    frame.paste(qr_image("TMR1:B"), (800, 300))
    assert sorted(decode_qr_frame(frame)) == ["TMR1:A", "TMR1:B"]
    twice = in_frame(qr_image("TMR1:A"), (100, 100))
    twice.paste(qr_image("TMR1:A"), (800, 300))
    assert decode_qr_frame(twice) == ["TMR1:A"]


def test_barcodes_other_than_qr_are_ignored() -> None:
    ean = zxingcpp.create_barcode("4901234567894", zxingcpp.BarcodeFormat.EAN13).to_image(scale=3)
    height, width = ean.shape
    image = Image.frombytes("L", (width, height), bytes(memoryview(ean)))
    assert zxingcpp.read_barcodes(image)  # it is a readable barcode…
    assert decode_qr_frame(in_frame(image, (100, 100))) == []  # …but not a QR code


def test_a_grey_buffer_shaped_like_an_array_is_read() -> None:
    frame = in_frame(qr_image())
    buffer = memoryview(frame.tobytes()).cast("B", (frame.height, frame.width))
    assert decode_qr_frame(buffer) == [PAYLOAD]
