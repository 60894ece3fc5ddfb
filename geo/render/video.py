"""Video encoders: MP4 (H.264) and WebM (VP9) through ffmpeg, GIF through Pillow; atomic.

MP4 and WebM need the optional ``geo[video]`` extra: ``imageio-ffmpeg`` ships
an ffmpeg binary in its wheel, so nothing else needs installing. A GIF needs
only Pillow (a matplotlib dependency): frames are streamed to the file one by
one with one palette for all of them, so a long GIF never sits in memory.

Every encoder writes a temporary file next to the target and renames it when
the last frame is in (:func:`geo.fsutil.write_atomic`); a failure leaves the
target as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import GifImagePlugin, Image

from geo.errors import EncoderError, MissingDependencyError, ValidationError
from geo.fsutil import write_atomic

__all__ = [
    "VIDEO_FORMATS",
    "VideoFormat",
    "check_encoder",
    "ffmpeg_exe",
    "gif_palette",
    "write_video",
]

#: File types :func:`geo.render.animate` writes.
VideoFormat = Literal["mp4", "webm", "gif"]
#: The file type of each suffix.
VIDEO_FORMATS: dict[str, VideoFormat] = {".mp4": "mp4", ".webm": "webm", ".gif": "gif"}
#: ffmpeg's settings per format: codec, then output options (quality, speed, container).
_FFMPEG: dict[str, tuple[str, list[str]]] = {
    "mp4": (
        "libx264",
        ["-crf", "23", "-preset", "veryfast", "-movflags", "+faststart", "-f", "mp4"],
    ),
    "webm": (
        "libvpx-vp9",
        ["-b:v", "0", "-crf", "36", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
         "-f", "webm"],
    ),
}  # fmt: skip
INSTALL_HINT = "pip install 'geo[video]' (imageio-ffmpeg ships ffmpeg), or write a .gif"

RGB = npt.NDArray[np.uint8]


def ffmpeg_exe(target: Path) -> str:
    """Return the ffmpeg of ``imageio-ffmpeg``; :class:`MissingDependencyError` without it."""
    try:
        import imageio_ffmpeg
    except ImportError:
        msg = f"cannot write {target}: MP4 and WebM need imageio-ffmpeg; {INSTALL_HINT}"
        raise MissingDependencyError(msg) from None
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def check_encoder(target: Path, fmt: VideoFormat, size: tuple[int, int]) -> None:
    """Fail unless ``fmt`` can be written at ``size``: MP4 and WebM need imageio-ffmpeg, even sizes.

    Examples
    --------
    >>> check_encoder(Path("war.gif"), "gif", (801, 451))  # a GIF takes any size
    >>> check_encoder(Path("war.mp4"), "mp4", (801, 451))
    Traceback (most recent call last):
    geo.errors.ValidationError: cannot write war.mp4: size=(801, 451): MP4 and WebM need even sizes
    """
    if fmt == "gif":
        return
    ffmpeg_exe(target)
    width, height = size
    if width % 2 or height % 2:
        msg = f"cannot write {target}"
        raise ValidationError(msg, [f"size=({width}, {height}): MP4 and WebM need even sizes"])


def write_video(
    target: Path,
    fmt: VideoFormat,
    frames: Iterable[RGB],
    *,
    size: tuple[int, int],
    fps: float,
    palette: Image.Image | None = None,
) -> Path:
    """Encode ``frames`` (H x W x 3 uint8 arrays, consumed one at a time) into ``target``.

    Parameters
    ----------
    target, fmt
        Output file and type.
    frames
        The frames, in order; a generator keeps only one in memory.
    size
        Width and height in pixels (even numbers for MP4 and WebM).
    fps
        Frames per second.
    palette
        For a GIF: the palette image every frame is mapped to (:func:`gif_palette`).

    Returns
    -------
    Path
        ``target``, complete (written atomically).

    Raises
    ------
    MissingDependencyError
        If MP4 or WebM is asked for without ``imageio-ffmpeg``.
    EncoderError
        If ffmpeg fails.
    """
    if fmt == "gif":
        return write_atomic(target, lambda handle: _write_gif(handle, frames, fps, palette))
    check_encoder(target, fmt, size)
    width, height = size
    import imageio_ffmpeg

    codec, options = _FFMPEG[fmt]

    def run(handle: IO[bytes]) -> None:
        # ffmpeg writes the temporary file by name; -f names the container.
        writer = imageio_ffmpeg.write_frames(
            handle.name, (width, height), fps=fps, codec=codec, quality=None,
            pix_fmt_out="yuv420p", macro_block_size=2, output_params=options,
            ffmpeg_log_level="error",
        )  # fmt: skip
        try:
            _send(writer, None, target, codec)
            for frame in frames:  # errors making a frame are not the encoder's
                _send(writer, np.ascontiguousarray(frame), target, codec)
        finally:
            writer.close()

    return write_atomic(target, run)


def _send(writer: Any, frame: RGB | None, target: Path, codec: str) -> None:
    try:
        writer.send(frame)
    except (OSError, RuntimeError) as error:
        msg = f"cannot write {target}: ffmpeg ({codec}) failed: {error}"
        raise EncoderError(msg) from error


def gif_palette(samples: Iterable[RGB], colours: int = 255) -> Image.Image:
    """Return one palette for every frame of a GIF, fitted to some sample frames.

    Examples
    --------
    >>> frame = np.zeros((4, 4, 3), dtype=np.uint8)
    >>> frame[:2] = (215, 25, 28)
    >>> gif_palette([frame]).mode
    'P'
    """
    strip = np.concatenate([np.asarray(s, dtype=np.uint8) for s in samples], axis=0)
    return Image.fromarray(strip, "RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)


def _write_gif(
    handle: IO[bytes], frames: Iterable[RGB], fps: float, palette: Image.Image | None
) -> None:
    duration_ms = max(round(1000 / fps / 10) * 10, 20)  # GIF counts hundredths; 20 ms least
    first = True
    for frame in frames:
        image = Image.fromarray(np.ascontiguousarray(frame), "RGB")
        if palette is None:
            palette = gif_palette([frame])
        indexed = image.quantize(palette=palette, dither=Image.Dither.NONE)
        if first:
            header, _ = GifImagePlugin.getheader(indexed, info={"loop": 0})
            for chunk in header:
                handle.write(chunk)
            first = False
        for chunk in GifImagePlugin.getdata(indexed, duration=duration_ms, disposal=1):
            handle.write(chunk)
    if first:
        msg = "no frames to write"
        raise ValidationError(msg, ["the series gave no frame"])
    handle.write(b";")  # the GIF trailer
