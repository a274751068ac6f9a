"""Spoken words: synthesis with eSpeak NG, log-mel spectrograms with ``torch.stft``, loaders.

Page 6.5 teaches these. torchaudio has no release for the torch the book uses, so the
spectrogram is computed here from ``torch.stft`` and a mel filterbank::

    clips = speech.synthesize(["yes", "no"], voices=["en", "en-us"], rates=[150], pitches=[50])
    feats = speech.log_mel(clips.waves)                 # (N, 40, 101) from (N, 16000)
    sc = speech.speech_commands("path/to/speech_commands", words=["yes", "no"])   # a real corpus

Synthesis needs the PyPI package ``espeakng-loader`` (it bundles the eSpeak NG library and its
data); it is imported only when :func:`synthesize` runs. Importing this module does nothing else.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "WORDS",
    "SAMPLE_RATE",
    "Clips",
    "Espeak",
    "synthesize",
    "fit_length",
    "resample",
    "add_noise",
    "hz_to_mel",
    "mel_filterbank",
    "log_mel",
    "read_wav",
    "speech_commands",
]

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")  # Speech Commands' ten
SAMPLE_RATE = 16_000  # Speech Commands' rate; one clip is one second


@dataclass(frozen=True)
class Clips:
    """Spoken words: ``waves`` (N, T) float in [-1, 1], ``labels`` (N,) indices into ``words``,
    ``speakers`` (N,) indices into ``voices`` (the voice or the corpus's speaker id)."""

    waves: torch.Tensor
    labels: torch.Tensor
    speakers: torch.Tensor
    words: tuple[str, ...]
    voices: tuple[str, ...]


class Espeak:
    """The eSpeak NG library of ``espeakng-loader``, called through ctypes (synchronous mode).

    ``say(text, voice, rate, pitch)`` -> (T,) float32 wave at :attr:`sample_rate` (22050 Hz).
    The library keeps global state: initialise it once per process (:func:`synthesize` reuses one
    instance); a second ``espeak_Initialize`` over a used engine has crashed it.
    """

    def __init__(self) -> None:
        try:
            import espeakng_loader  # the PyPI package; installed by requirements.txt
        except ImportError as err:
            raise ImportError(
                "speech synthesis needs eSpeak NG: python -m pip install espeakng-loader (on Colab: %pip install ...)"
            ) from err

        self._lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        self.sample_rate = self._lib.espeak_Initialize(2, 0, data_path, 0)  # 2 = AUDIO_OUTPUT_SYNCHRONOUS
        if self.sample_rate <= 0:
            raise RuntimeError("eSpeak NG failed to initialise")
        self._chunks: list[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

        def collect(wav, n, _events):  # called by the library with each block of samples
            if n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        self._callback = callback_type(collect)  # keep a reference: the library holds a pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def say(self, text: str, voice: str = "en", rate: int = 175, pitch: int = 50) -> torch.Tensor:
        """Speak ``text`` with ``voice`` (e.g. "en-us", "en+f2"), ``rate`` in words/minute, ``pitch`` 0-99."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        self._lib.espeak_SetParameter(1, int(rate), 0)  # espeakRATE
        self._lib.espeak_SetParameter(3, int(pitch), 0)  # espeakPITCH
        self._chunks.clear()
        data = text.encode() + b"\0"
        self._lib.espeak_Synth(data, len(data), 0, 0, 0, 0, None, None)
        self._lib.espeak_Synchronize()
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return torch.from_numpy(samples.astype(np.float32) / 32768.0)


_ENGINE: Espeak | None = None


def _engine() -> Espeak:
    """The process's one :class:`Espeak`, created on first use."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Espeak()
    return _ENGINE


def resample(wave_: torch.Tensor, orig: int, new: int) -> torch.Tensor:
    """Resample (..., T) from ``orig`` to ``new`` Hz in the frequency domain: (..., round(T * new / orig)).

    The spectrum (``torch.fft.rfft``) is cut (downsampling) or zero-padded (upsampling) at
    ``min(orig, new) / 2`` and transformed back: an ideal low-pass, so nothing above the new
    Nyquist frequency folds back as an alias. The signal is treated as periodic, which is harmless
    for clips that start and end in silence.
    """
    if orig == new:
        return wave_
    n_old = wave_.shape[-1]
    n = round(n_old * new / orig)
    spectrum = torch.fft.rfft(wave_.double(), dim=-1)  # (..., n_old // 2 + 1)
    keep = min(spectrum.shape[-1], n // 2 + 1)
    out = torch.fft.irfft(spectrum[..., :keep], n=n, dim=-1) * (n / n_old)
    return out.to(wave_.dtype)


def fit_length(wave_: torch.Tensor, length: int = SAMPLE_RATE, shift: int = 0) -> torch.Tensor:
    """Centre (T,) in ``length`` samples (zero padding or cropping), moved by ``shift`` samples."""
    out = torch.zeros(length, dtype=wave_.dtype)
    start = (length - len(wave_)) // 2 + shift  # where the clip starts in the output
    src_lo, dst_lo = max(0, -start), max(0, start)
    n = min(len(wave_) - src_lo, length - dst_lo)
    if n > 0:
        out[dst_lo : dst_lo + n] = wave_[src_lo : src_lo + n]
    return out


def add_noise(
    waves: torch.Tensor, snr_db: torch.Tensor | float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Add white noise to (N, T) waves at signal-to-noise ratio ``snr_db`` (scalar or (N,)) in dB."""
    power = waves.pow(2).mean(-1, keepdim=True).clamp_min(1e-10)  # (N, 1)
    snr = torch.as_tensor(snr_db, dtype=waves.dtype).reshape(-1, 1)
    noise = torch.randn(waves.shape, generator=generator, dtype=waves.dtype)
    return waves + noise * torch.sqrt(power / 10 ** (snr / 10))


def synthesize(
    words: tuple[str, ...] | list[str] = WORDS,
    voices: tuple[str, ...] | list[str] = ("en",),
    rates: tuple[int, ...] | list[int] = (175,),
    pitches: tuple[int, ...] | list[int] = (50,),
    cache: Path | str | None = None,
) -> Clips:
    """Every word in every voice, rate and pitch, as one-second clips at 16 kHz.

    With ``cache`` (a folder, e.g. ``data.root() / "speech_synth"``) the clips are saved once
    under a name derived from the arguments and loaded from there afterwards, so every later run
    sees exactly the same audio (eSpeak NG itself varies a few samples between calls).
    """
    words, voices = tuple(words), tuple(voices)
    settings = {"words": words, "voices": voices, "rates": list(rates), "pitches": list(pitches), "v": 2}
    path = None
    if cache is not None:
        key = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
        path = Path(cache) / f"espeak-{key}.pt"
        if path.is_file():
            stored = torch.load(path, weights_only=True)
            return Clips(stored["waves"].float() / 32767, stored["labels"], stored["speakers"], words, voices)
    engine = _engine()
    waves, labels, speakers = [], [], []
    for s, voice in enumerate(voices):
        for w, word in enumerate(words):
            for rate in rates:
                for pitch in pitches:
                    raw = resample(engine.say(word, voice, rate, pitch), engine.sample_rate, SAMPLE_RATE)
                    waves.append(fit_length(raw / raw.abs().max().clamp_min(1e-6) * 0.9))
                    labels.append(w)
                    speakers.append(s)
    clips = Clips(torch.stack(waves), torch.tensor(labels), torch.tensor(speakers), words, voices)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        as_int = (clips.waves * 32767).round().to(torch.int16)
        torch.save({"waves": as_int, "labels": clips.labels, "speakers": clips.speakers}, path)
        return Clips(as_int.float() / 32767, clips.labels, clips.speakers, words, voices)
    return clips


def hz_to_mel(f: torch.Tensor | float) -> torch.Tensor:
    """The HTK mel scale: 2595 log10(1 + f / 700)."""
    return 2595 * torch.log10(1 + torch.as_tensor(f, dtype=torch.float64) / 700)


def mel_filterbank(
    n_fft: int = 400, n_mels: int = 40, sample_rate: int = SAMPLE_RATE, fmin: float = 20.0, fmax: float | None = None
) -> torch.Tensor:
    """Triangular filters equally spaced on the mel scale: (n_mels, n_fft // 2 + 1), float32."""
    fmax = fmax if fmax is not None else sample_rate / 2
    mels = torch.linspace(hz_to_mel(fmin).item(), hz_to_mel(fmax).item(), n_mels + 2, dtype=torch.float64)
    hz = 700 * (10 ** (mels / 2595) - 1)  # (n_mels + 2,) band edges in Hz
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # (F,) bin centres
    lo, mid, hi = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    rising = (freqs - lo) / (mid - lo)
    falling = (hi - freqs) / (hi - mid)
    return torch.clamp(torch.minimum(rising, falling), min=0).float()


def log_mel(
    waves: torch.Tensor, n_fft: int = 400, hop: int = 160, n_mels: int = 40, sample_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """Log-mel spectrogram: (..., T) -> (..., n_mels, 1 + T // hop), log(mel power + 1e-6).

    A 25 ms Hann window every 10 ms (at 16 kHz), the power spectrum from ``torch.stft``, then
    the mel filterbank: what speech models since the 1980s have read.
    """
    shape = waves.shape
    spec = torch.stft(
        waves.reshape(-1, shape[-1]),
        n_fft,
        hop_length=hop,
        window=torch.hann_window(n_fft, device=waves.device),
        center=True,
        return_complex=True,
    )  # (B, F, frames)
    power = spec.abs().pow(2)
    mel = mel_filterbank(n_fft, n_mels, sample_rate).to(waves.device) @ power  # (B, n_mels, frames)
    out = torch.log(mel + 1e-6)
    return out.reshape(*shape[:-1], *out.shape[-2:])


def read_wav(path: Path | str) -> tuple[torch.Tensor, int]:
    """A 16-bit PCM WAV file (mono, or the first channel) -> ((T,) float in [-1, 1], sample rate)."""
    with wave.open(str(path), "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported, got {8 * f.getsampwidth()} bits")
        frames = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").reshape(-1, f.getnchannels())
        return torch.from_numpy(frames[:, 0].astype(np.float32) / 32768.0), f.getframerate()


def speech_commands(
    root: Path | str, words: tuple[str, ...] | list[str] = WORDS, limit_per_word: int | None = None
) -> Clips:
    """Clips from Speech Commands' layout: ``root/<word>/<speaker>_nohash_<n>.wav``.

    Each clip is resampled to 16 kHz if needed and fitted to one second; ``speakers`` index the
    speaker ids (the part of the file name before ``_nohash_``), so splits can hold speakers out.
    """
    root = Path(root)
    waves, labels, speaker_names = [], [], []
    for w, word in enumerate(words):
        files = sorted((root / word).glob("*.wav"))
        if not files:
            raise FileNotFoundError(f"no .wav files in {root / word}")
        for path in files[:limit_per_word]:
            x, rate = read_wav(path)
            waves.append(fit_length(resample(x, rate, SAMPLE_RATE)))
            labels.append(w)
            speaker_names.append(path.name.split("_nohash_")[0])
    voices = tuple(sorted(set(speaker_names)))
    index = {name: i for i, name in enumerate(voices)}
    return Clips(
        torch.stack(waves), torch.tensor(labels), torch.tensor([index[s] for s in speaker_names]), tuple(words), voices
    )
