"""The timing protocol every engine follows, so that numbers compare: untimed warm-up calls (their
times kept apart as `warmup_s`: JIT compilation shows there), then timed repetitions until both a
minimum count and a minimum time are reached, or the time budget runs out. A call too fast for the
clock is repeated `inner` times per sample (doubled, untimed, until a sample takes at least 1 ms)."""
import statistics
import time
from dataclasses import dataclass


@dataclass
class Protocol:
    warmup: int = 1          # untimed calls before timing
    min_reps: int = 5        # at least this many timed samples
    max_reps: int = 50       # at most this many
    min_time_s: float = 0.5  # keep sampling until this much time is spent (and min_reps reached)
    max_time_s: float = 30.0  # stop after this much, even below min_reps (at least one sample)

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def summary(samples):
    """Median and spread of a list of per-call times in seconds (the schema's `timing` object)."""
    s = sorted(samples)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else [s[0]] * 3
    return {"median_s": statistics.median(s), "q25_s": q[0], "q75_s": q[2], "min_s": s[0], "max_s": s[-1],
            "repeats": len(s)}


def measure(once, protocol):
    """Times once() (which returns the task's result) under the protocol. Returns (timing, result)."""
    warm = []
    result = None
    for _ in range(protocol.warmup):
        t = time.perf_counter()
        result = once()
        warm.append(time.perf_counter() - t)
    inner = 1  # calls under 1 ms: double the calls per sample until a sample takes 1 ms (untimed)
    while warm and warm[-1] < 1e-3:  # (without warm-up, for calls of seconds, every call is a sample)
        t = time.perf_counter()
        for _ in range(inner):
            result = once()
        if time.perf_counter() - t >= 1e-3 or inner >= 1 << 20:
            break
        inner *= 2
    samples = []
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        for _ in range(inner):
            result = once()
        samples.append((time.perf_counter() - t) / inner)
        spent = time.perf_counter() - start
        if len(samples) >= protocol.max_reps or spent >= protocol.max_time_s:
            break
        if len(samples) >= protocol.min_reps and spent >= protocol.min_time_s:
            break
    timing = summary(samples)
    timing.update({"inner": inner, "warmup": len(warm), "warmup_s": warm, "samples_s": samples})
    return timing, result
