"""Checks across the fields of a tariff document, run by `load_tariff` after marshmallow's checks.

Each check raises `TariffError` with the path of the field to fix: the time zone must exist; bands
must tile every kind of day without gap or overlap, or else duration brackets must rise to their
period (and then bands, an opening fee, a full-day rule and caps are refused); ladders must be in
order; names must refer to something; no cap may be below the price of the first unit it caps; and
options must fit together (a short crossing needs its minutes, a daily benefit no opening fee or
24 h restart, a flat fee without an entry record an amount).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parking.tariffs.document import DAY_KINDS, FREE, Tariff
from parking.tariffs.errors import TariffError

__all__ = ["check"]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def check(tariff: Tariff) -> None:
    """Raise `TariffError` for the first inconsistency in `tariff`."""
    try:
        ZoneInfo(tariff.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TariffError("time_zone", f"unknown time zone {tariff.time_zone!r}") from None
    _check_rates(tariff)
    if tariff.brackets is not None:
        _check_brackets(tariff)
    else:
        _check_bands(tariff)
    _check_classes(tariff)
    _check_caps(tariff)
    _check_options(tariff)


def _check_rates(tariff: Tariff) -> None:
    if FREE in tariff.rates:
        raise TariffError(f"rates.{FREE}", f"{FREE!r} is reserved for bands that charge nothing")
    for rid, rate in tariff.rates.items():
        previous = 0
        for i, step in enumerate(rate.steps):
            where = f"rates.{rid}.steps[{i}].up_to_minutes"
            last = i == len(rate.steps) - 1
            if last and step.up_to is not None:
                raise TariffError(where, "the last step must have no limit (leave up_to_minutes out)")
            if not last and step.up_to is None:
                raise TariffError(where, "only the last step may have no limit")
            if step.up_to is not None and step.up_to <= previous:
                raise TariffError(where, f"must be greater than the step before ({previous} minutes)")
            previous = step.up_to or previous


def _check_bands(tariff: Tariff) -> None:
    if not tariff.bands:
        raise TariffError("bands", "a tariff needs bands covering the day, or brackets")
    seen: dict[str, int] = {}
    for i, band in enumerate(tariff.bands):
        if band.id in seen:
            raise TariffError(f"bands[{i}].id", f"{band.id!r} is already the id of bands[{seen[band.id]}]")
        seen[band.id] = i
        if band.rate != FREE and band.rate not in tariff.rates:
            raise TariffError(f"bands[{i}].rate", f"no rate named {band.rate!r} (rates: {sorted(tariff.rates)})")
    for kind in DAY_KINDS:
        owner: list[int | None] = [None] * 1440
        for i, band in enumerate(tariff.bands):
            if kind not in band.day_kinds:
                continue
            for a, b in band.parts():
                for minute in range(a, b):
                    if owner[minute] is not None:
                        other = owner[minute]
                        raise TariffError(
                            f"bands[{i}].start",
                            f"overlaps bands[{other}] ({tariff.bands[other].id}) on {kind} days at {_clock(minute)}",
                        )
                    owner[minute] = i
        if None in owner:
            gap = owner.index(None)
            end = next((m for m in range(gap, 1440) if owner[m] is not None), 1440)
            before = owner[gap - 1] if gap else None
            field = f"bands[{before}].end" if before is not None else "bands"
            raise TariffError(field, f"leaves a gap from {_clock(gap)} to {_clock(end)} on {kind} days")


def _check_brackets(tariff: Tariff) -> None:
    brackets = tariff.brackets
    assert brackets is not None
    if tariff.bands:
        raise TariffError("brackets", "a tariff is priced by bands or by brackets, not both")
    for field in ("opening", "full_day"):
        if getattr(tariff, field) is not None:
            raise TariffError(field, "cannot be combined with duration brackets")
    if tariff.caps:
        raise TariffError("caps", "cannot be combined with duration brackets (brackets set the price)")
    previous = 0
    for i, item in enumerate(brackets.items):
        if item.up_to <= previous:
            raise TariffError(f"brackets.items[{i}].up_to_minutes", f"must be greater than {previous}")
        previous = item.up_to
    if previous != brackets.period:
        raise TariffError("brackets.items", f"the last bracket must end at the period ({brackets.period} minutes)")


def _check_classes(tariff: Tariff) -> None:
    for name, klass in tariff.classes.items():
        for base, own in klass.rates.items():
            if base not in tariff.rates:
                raise TariffError(f"classes.{name}.rates.{base}", f"no rate named {base!r} to replace")
            if own != FREE and own not in tariff.rates:
                raise TariffError(f"classes.{name}.rates.{base}", f"no rate named {own!r}")


def _first_units(tariff: Tariff) -> list[int]:
    prices = [rate.first_unit_fen for rate in tariff.rates.values()]
    if tariff.opening is not None:
        prices.append(tariff.opening.fen)
    return [p for p in prices if p > 0]


def _check_caps(tariff: Tariff) -> None:
    band_ids = {band.id for band in tariff.bands}
    for i, cap in enumerate(tariff.caps):
        if cap.per == "band":
            if cap.band not in band_ids:
                raise TariffError(f"caps[{i}].band", f"no band named {cap.band!r}")
            band = tariff.band(cap.band)
            floor = [tariff.rates[band.rate].first_unit_fen] if band.rate != FREE else []
        else:
            if cap.band is not None:
                raise TariffError(f"caps[{i}].band", "only a cap per band names a band")
            floor = _first_units(tariff)
        lowest = min(floor, default=0)
        for j, amount in enumerate(cap.fen):
            if amount < lowest:
                field = f"caps[{i}].fen" if len(cap.fen) == 1 else f"caps[{i}].fen[{j}]"
                raise TariffError(field, f"{amount} fen is below the first unit ({lowest} fen)")
        if cap.cumulative and cap.per == "band":
            raise TariffError(f"caps[{i}].cumulative", "only caps per day or per 24 h can be cumulative")
        if cap.shared and cap.per == "band":
            raise TariffError(f"caps[{i}].shared", "only caps per day or per 24 h can be shared between stays")
        if any(b < a for a, b in zip(cap.fen, cap.fen[1:])):
            raise TariffError(f"caps[{i}].fen", "rising caps must not fall from one day to the next")
    if tariff.full_day is not None:
        if tariff.full_day.band not in band_ids:
            raise TariffError("full_day.band", f"no band named {tariff.full_day.band!r}")
        if tariff.band(tariff.full_day.band).rate == FREE:
            raise TariffError("full_day.band", "must be a band that charges")


def _check_options(tariff: Tariff) -> None:
    if tariff.crossing.rule == "short_at_earlier" and tariff.crossing.minutes <= 0:
        raise TariffError("crossing.minutes", "a short crossing needs its length in minutes (at least 1)")
    if tariff.part_unit.rounding == "threshold" and tariff.part_unit.free_minutes <= 0:
        raise TariffError("part_unit.free_minutes", "rounding by threshold needs the free remainder in minutes")
    for i, benefit in enumerate(tariff.benefits):
        if benefit.free_per == "day" and (tariff.opening is not None or tariff.restart_after_24h):
            raise TariffError(
                f"benefits[{i}].free_per",
                "free minutes every day cannot be combined with an opening fee or a 24 h restart",
            )
        if benefit.free_minutes == 0 and benefit.percent_off == 0:
            raise TariffError(f"benefits[{i}]", "a benefit needs free_minutes or percent_off")
    if tariff.no_entry_record is not None and tariff.no_entry_record.action == "flat":
        if tariff.no_entry_record.fen <= 0:
            raise TariffError("no_entry_record.fen", "a flat fee for a missing entry record must be above 0")
