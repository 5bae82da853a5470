"""Camera frames with a member QR code in them, made on the fly for the decoding tests.

Shared by the still-image tests (tests/devices/test_camera.py) and the Qt camera path
(tests/desktop/test_camera_scan.py): a QR code as a phone shows it, placed in a grey
1280×720 frame, rotated, blurred, with sensor noise.
"""

from __future__ import annotations

import qrcode
import qrcode.constants
from PIL import Image, ImageFilter

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


def rotated_noisy_frame(payload: str = PAYLOAD, angle: float = -28) -> Image.Image:
    """The hard case: turned, blurred, noisy, off-centre."""
    rotated = qr_image(payload).rotate(angle, expand=True, fillcolor=255,
                                       resample=Image.Resampling.BICUBIC)
    return noisy(in_frame(rotated, (350, 100)).filter(ImageFilter.GaussianBlur(1.2)))
