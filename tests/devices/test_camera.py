"""Decoding member QR codes in still camera frames (clean, rotated, scaled, noisy, none), and
turning a code seen in frame after frame into one scan."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from devices.camera import RepeatFilter, decode_qr_frame
from tests.devices.qr_frames import (
    FRAME,
    PAYLOAD,
    in_frame,
    noisy,
    qr_image,
    rotated_noisy_frame,
)


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
    assert decode_qr_frame(rotated_noisy_frame()) == [PAYLOAD]


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


# -- one scan per presentation ------------------------------------------------------------


def test_a_code_in_view_is_one_scan_however_many_frames_show_it() -> None:
    repeats = RepeatFilter(window=2.0)
    assert repeats.fresh(["TMR1:A"], 0.0) == ["TMR1:A"]
    # Thirty frames a second for five seconds: the window restarts at every sighting.
    assert all(repeats.fresh(["TMR1:A"], n / 30) == [] for n in range(1, 150))
    assert repeats.fresh(["TMR1:A", "TMR1:B"], 5.0) == ["TMR1:B"]


def test_a_code_shown_again_after_a_pause_is_a_new_scan() -> None:
    repeats = RepeatFilter(window=2.0)
    assert repeats.fresh(["TMR1:A"], 10.0) == ["TMR1:A"]
    assert repeats.fresh([], 11.0) == []
    assert repeats.fresh(["TMR1:A"], 11.9) == []  # a blurred frame or two: still the same
    assert repeats.fresh(["TMR1:A"], 14.0) == ["TMR1:A"]  # gone for more than the window
    repeats.forget()
    assert repeats.fresh(["TMR1:A"], 14.1) == ["TMR1:A"]


def test_a_code_twice_in_one_frame_is_one_scan() -> None:
    assert RepeatFilter().fresh(["TMR1:A", "TMR1:A"], 0.0) == ["TMR1:A"]


def test_the_repeat_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RepeatFilter(0)
