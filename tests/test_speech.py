"""torchbook.speech: the spectrogram against numpy, the helpers, the loader, and eSpeak NG when installed."""

import math
import wave

import numpy as np
import pytest
import torch

from torchbook import speech


def test_mel_filterbank_shape_peaks_and_coverage():
    fb = speech.mel_filterbank(n_fft=400, n_mels=40)
    assert fb.shape == (40, 201)
    assert torch.all(fb >= 0) and torch.all(fb.max(1).values > 0.5)
    peaks = fb.argmax(1)
    assert torch.all(peaks[1:] >= peaks[:-1])  # filters move up in frequency
    widths = (fb > 0).sum(1)
    assert widths[-1] > widths[5]  # wider at high frequencies, as the mel scale demands
    assert speech.hz_to_mel(700.0).item() == pytest.approx(2595 * math.log10(2))


def test_log_mel_matches_a_numpy_computation():
    x = torch.randn(2, 1600, generator=torch.Generator().manual_seed(0))
    out = speech.log_mel(x, n_fft=256, hop=128, n_mels=20)
    assert out.shape == (2, 20, 1 + 1600 // 128)
    # numpy: reflect-pad n_fft/2, Hann window (periodic), rfft, power, filterbank, log
    xn = np.pad(x[0].numpy().astype(np.float64), 128, mode="reflect")
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256)
    frames = np.stack([xn[i * 128 : i * 128 + 256] * win for i in range(out.shape[-1])], axis=1)
    power = np.abs(np.fft.rfft(frames, axis=0)) ** 2
    expected = np.log(speech.mel_filterbank(256, 20).double().numpy() @ power + 1e-6)
    np.testing.assert_allclose(out[0].double().numpy(), expected, rtol=1e-3, atol=1e-3)


def test_a_tone_lights_the_filter_at_its_frequency():
    t = torch.arange(16000) / 16000
    tone = torch.sin(2 * math.pi * 1000 * t)
    band = speech.log_mel(tone).mean(-1).argmax().item()
    fb = speech.mel_filterbank()
    bin_1khz = round(1000 / 8000 * 200)
    assert band == fb[:, bin_1khz].argmax().item()


def test_fit_length_centres_pads_crops_and_shifts():
    x = torch.arange(1, 5, dtype=torch.float32)
    assert speech.fit_length(x, 8).tolist() == [0, 0, 1, 2, 3, 4, 0, 0]
    assert speech.fit_length(x, 8, shift=2).tolist() == [0, 0, 0, 0, 1, 2, 3, 4]
    assert speech.fit_length(x, 2).tolist() == [2, 3]
    assert speech.fit_length(x, 4, shift=10).tolist() == [0, 0, 0, 0]


def test_resample_keeps_a_low_tone_and_the_duration():
    t = torch.arange(22050) / 22050
    y = speech.resample(torch.sin(2 * math.pi * 440 * t), 22050, 16000)
    assert y.shape == (16000,)
    expected = torch.sin(2 * math.pi * 440 * torch.arange(16000) / 16000)
    assert torch.corrcoef(torch.stack([y[100:-100], expected[100:-100]]))[0, 1] > 0.99
    assert speech.resample(y, 16000, 16000) is y


def test_add_noise_reaches_the_requested_snr():
    x = torch.sin(torch.linspace(0, 200, 16000)).repeat(3, 1)
    noisy = speech.add_noise(x, torch.tensor([0.0, 10.0, 20.0]), torch.Generator().manual_seed(0))
    snr = 10 * torch.log10(x.pow(2).mean(1) / (noisy - x).pow(2).mean(1))
    torch.testing.assert_close(snr, torch.tensor([0.0, 10.0, 20.0]), atol=0.2, rtol=0)


def _write_wav(path, samples, rate=16000):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes((np.asarray(samples) * 32767).astype("<i2").tobytes())


def test_speech_commands_layout(tmp_path):
    for word in ("yes", "no"):
        (tmp_path / word).mkdir()
        for speaker in ("0a7c2a8d", "ffd2ba2f"):
            _write_wav(tmp_path / word / f"{speaker}_nohash_0.wav", np.full(8000, 0.5))
    _write_wav(tmp_path / "yes" / "0a7c2a8d_nohash_1.wav", np.full(11025, 0.25), rate=22050)
    clips = speech.speech_commands(tmp_path, words=("yes", "no"))
    assert clips.waves.shape == (5, 16000)
    assert clips.labels.tolist() == [0, 0, 0, 1, 1]
    assert clips.voices == ("0a7c2a8d", "ffd2ba2f")
    assert clips.speakers.tolist() == [0, 0, 1, 0, 1]
    assert clips.waves[0, 8000].item() == pytest.approx(0.5, abs=1e-4)  # centred half-second clip
    assert clips.waves[1, 8000].item() == pytest.approx(0.25, abs=1e-3)  # resampled from 22.05 kHz
    assert len(speech.speech_commands(tmp_path, words=("yes",), limit_per_word=1).labels) == 1
    with pytest.raises(FileNotFoundError):
        speech.speech_commands(tmp_path, words=("maybe",))


def test_espeak_synthesis_and_cache(tmp_path):
    pytest.importorskip("espeakng_loader")
    clips = speech.synthesize(["yes", "no"], voices=["en", "en+f2"], rates=[175], pitches=[50], cache=tmp_path)
    assert clips.waves.shape == (4, 16000)
    assert clips.labels.tolist() == [0, 1, 0, 1] and clips.speakers.tolist() == [0, 0, 1, 1]
    assert clips.waves.abs().max() <= 0.91 and clips.waves.std(1).min() > 0.01  # speech, not silence
    again = speech.synthesize(["yes", "no"], voices=["en", "en+f2"], rates=[175], pitches=[50], cache=tmp_path)
    assert torch.equal(clips.waves, again.waves)  # the second call reads the cache
    assert len(list(tmp_path.glob("espeak-*.pt"))) == 1
    with pytest.raises(ValueError):
        speech._engine().say("yes", voice="no-such-voice-xyz")
    assert speech._engine() is speech._engine()  # one engine per process: eSpeak NG has global state


def test_resample_removes_what_the_new_rate_cannot_hold():
    t = torch.arange(22050) / 22050
    high = speech.resample(torch.sin(2 * math.pi * 10_000 * t), 22050, 16000)  # above 8 kHz, the new Nyquist
    assert high.pow(2).mean().sqrt() < 0.01  # no alias at 6 kHz: the tone is gone (input rms 0.71)
    up = speech.resample(torch.sin(2 * math.pi * 440 * torch.arange(8000) / 8000), 8000, 16000)
    expected = torch.sin(2 * math.pi * 440 * torch.arange(16000) / 16000)
    torch.testing.assert_close(up, expected, atol=1e-3, rtol=0)
