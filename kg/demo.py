"""Calibrated synthetic demo data: a scaled-down China in the exchange format (docs/rules.md §3).

``generate(out_dir)`` writes ``patents.csv``, ``owners.csv``, ``family_members.csv``,
``pledges.csv``, ``awards.csv``, ``population.csv`` and ``dataset.json`` (:mod:`kg.dataset`:
synthetic, at which scale). Everything is synthetic except the calibration targets, which are
the official national series (:mod:`kg.official`: the domestic valid and high-value invention
patents and the NBS year-end population of 2020-2024, whose quotient is the published indicator,
6.3 in 2020 to 14 in 2024).

**Scale.** A scale ``S`` divides every real count and every real population: ``population.csv``
holds ``round(real persons / S)`` (at least 1) for ``CN`` and the 31 provinces, 2020-2024 (and
``CN`` 2025). With ``patents=N``
the scale is derived as ``S = _REAL_ROWS / N`` and the last group written (utility models) is
sized so that ``patents.csv`` has exactly ``N`` rows. One patent moves the indicator by
``S / 141,212``: below about ``N = 1,000`` (``S`` ≈ 10,000) the ±0.1 calibration no longer holds.
Generating ``N = 1,000,000`` takes 6-10 s (one core, measured).

**Default.** ``scale=250`` gives about 42,000 patent rows (≈19,000 valid domestic inventions at
2024-12-31, ≈7,900 of them high-value, 5.6 million "persons"). That is large enough for one
patent to move the national indicator by only 0.018 per 10,000 (so rounding cannot break the
±0.1 calibration) and small enough to generate and ingest in seconds (``make run``, tests).

**Construction (exact, not statistical).** The valid stock and the high-value stock of domestic
invention patents at each year-end 2020-2024 are hit exactly:

1. *Base groups* with realistic structure are written first and their contribution to the
   year-end valid / high-value counts is tallied with year-level arithmetic (valid at Y-12-31
   iff grant year ≤ Y < min(lapse year, filing year + 20); maintained from filing year + 10,
   or + 11 for a 31 December filing): filing cohorts 1995-2014 that age into "maintained",
   patents that gain an overseas grant, a pledge ≥ 10,000,000 CNY or an award in a given year,
   patents that lapse or reach the end of their term inside the window, lapsed history, pending
   applications.
2. *Fill*: the remaining high-value count per year is made up of SEI-only patents, then the
   remaining valid count of patents that meet no criterion (filed 2015 or later, non-SEI codes,
   small pledges, pending/PCT family members only). Increases become new grants in that year,
   decreases become lapses in that year, so any non-negative residual series is reachable.
3. Foreign, Hong Kong/Macao/Taiwan-owned inventions, designs and utility models (never counted)
   follow. Utility models and designs are deliberately under-represented against reality
   (real China has ~3 valid utility models per valid invention) to keep the default small.

The high-value target is the official count, clamped so that the indicator computed from the
scaled counts lies within ±0.02 of the published value (for 2024, 197.8万 / 140,828万 would give
14.05; the clamp makes it ≤ 14.02). SEI codes are taken from ``_SEI_CODES``, which all match
``kg/data/sei_concordance.csv``; ``_PLAIN_CODES`` match none of its rows (``tests/test_demo.py``
checks both). Same seed → byte-identical files.
"""

from __future__ import annotations

import csv
import math
import os
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path

from kg import dataset, official
from kg.errors import InputError
from kg.ingest import table_rows
from kg.store import is_store_dir

__all__ = ["DEFAULT_SCALE", "DemoSummary", "generate", "PROVINCES"]

YEARS = (2020, 2021, 2022, 2023, 2024)
DEFAULT_SCALE = 250.0
TOLERANCE = 0.02
PLEDGE_THRESHOLD = 10_000_000

#: The year after the last calibrated one: no patents are generated for it, but its national
#: population row (:func:`kg.official.national_population`) is written scaled like the others.
NEXT_YEAR = YEARS[-1] + 1

# ISO 3166-2, short Chinese name, weight (% of domestic patents). Weights are synthetic, anchored
# on Guangdong 36.77万 and Beijing ≈34.9万 (159.81/10k) high-value patents in 2024 and Shanghai
# 10.18万 in 2022 (kg/data/reference/official-indicator.md §3); the rest is a plausible guess,
# not a statistic. Year-end populations are NBS's, from the built-in population.csv
# (kg.official.population).
PROVINCES: tuple[tuple[str, str, float], ...] = (
    ("CN-GD", "广东", 18.5),
    ("CN-BJ", "北京", 17.5),
    ("CN-JS", "江苏", 10.5),
    ("CN-ZJ", "浙江", 7.5),
    ("CN-SH", "上海", 7.0),
    ("CN-SD", "山东", 4.2),
    ("CN-AH", "安徽", 3.2),
    ("CN-HB", "湖北", 3.2),
    ("CN-SC", "四川", 3.0),
    ("CN-SN", "陕西", 2.6),
    ("CN-HN", "湖南", 2.2),
    ("CN-FJ", "福建", 2.0),
    ("CN-HA", "河南", 1.8),
    ("CN-TJ", "天津", 1.8),
    ("CN-LN", "辽宁", 1.6),
    ("CN-CQ", "重庆", 1.3),
    ("CN-HE", "河北", 1.2),
    ("CN-JX", "江西", 0.9),
    ("CN-HL", "黑龙江", 0.9),
    ("CN-JL", "吉林", 0.7),
    ("CN-YN", "云南", 0.6),
    ("CN-GX", "广西", 0.6),
    ("CN-SX", "山西", 0.6),
    ("CN-GZ", "贵州", 0.5),
    ("CN-GS", "甘肃", 0.4),
    ("CN-XJ", "新疆", 0.3),
    ("CN-NM", "内蒙古", 0.3),
    ("CN-HI", "海南", 0.25),
    ("CN-NX", "宁夏", 0.15),
    ("CN-QH", "青海", 0.1),
    ("CN-XZ", "西藏", 0.05),
)

# IPC codes that match a row of the built-in SEI concordance, with a title (zh, en).
_SEI_CODES: tuple[tuple[str, str, str], ...] = (
    ("G06N3/04", "一种基于深度神经网络的图像识别方法", "Deep neural network for image recognition"),
    ("G06N3/08", "一种神经网络模型的训练方法及装置", "Training a neural network"),
    ("G06N5/04", "一种基于知识图谱的推理方法", "Knowledge-graph based inference method"),
    ("G06F40/30", "一种中文语义分析方法", "Semantic analysis of Chinese text"),
    ("H04L9/32", "一种基于区块链的身份认证方法", "Blockchain-based identity authentication"),
    ("H04L67/10", "一种分布式数据传输系统", "Distributed data transmission system"),
    ("H04W72/04", "一种5G无线资源分配方法", "5G radio resource allocation method"),
    ("H01L21/02", "一种半导体晶圆的制备方法", "Method of preparing a semiconductor wafer"),
    ("G06F9/50", "一种云计算资源调度方法", "Cloud computing resource scheduling"),
    ("B29C64/118", "一种熔融沉积三维打印装置", "Fused-deposition 3D printing apparatus"),
    ("B64D27/24", "一种无人机电驱动系统", "Electric drive for an aircraft"),
    ("A61K31/00", "一种抗肿瘤药物组合物", "Anti-tumour pharmaceutical composition"),
    ("A61K39/395", "一种单克隆抗体制剂", "Monoclonal antibody formulation"),
    ("C12N15/11", "一种基因编辑载体及其应用", "Gene-editing vector and its use"),
    ("B60L50/60", "一种电动汽车动力电池管理系统", "Traction battery management for EVs"),
    ("B60L53/80", "一种电动汽车换电站", "Battery swapping station for electric vehicles"),
    ("H01M10/052", "一种锂离子电池电解液", "Electrolyte for lithium-ion batteries"),
    ("H01M4/525", "一种高镍正极材料", "High-nickel cathode material"),
    ("F03D7/02", "一种风力发电机组变桨控制方法", "Pitch control of a wind turbine"),
    ("H02S40/38", "一种光伏储能一体化装置", "Integrated photovoltaic storage device"),
    ("B01D53/86", "一种烟气脱硝催化净化装置", "Catalytic flue-gas denitrification"),
)

# IPC codes that match no row (including the near misses G06F9/445 vs G06F9/44, A61K8/02 excluded
# from A61K*, G06N20/00 vs G06N3/*).
_PLAIN_CODES: tuple[tuple[str, str, str], ...] = (
    ("A47J31/44", "一种全自动咖啡机", "Automatic coffee machine"),
    ("B65D81/26", "一种食品保鲜包装盒", "Food-preserving packaging box"),
    ("E04B1/00", "一种装配式建筑结构", "Prefabricated building structure"),
    ("D06F39/00", "一种洗衣机排水装置", "Washing machine drain device"),
    ("F24C15/00", "一种燃气灶具", "Gas cooker"),
    ("B62K11/00", "一种摩托车车架", "Motorcycle frame"),
    ("A45D44/00", "一种化妆用具", "Cosmetic applicator"),
    ("A61K8/02", "一种护肤化妆品组合物", "Skin-care cosmetic composition"),
    ("G06F9/445", "一种程序加载方法", "Program loading method"),
    ("G06F3/01", "一种人机交互输入方法", "Human-machine input method"),
    ("G06N20/00", "一种机器学习样本筛选方法", "Selecting samples for machine learning"),
    ("B43K7/00", "一种中性笔", "Gel pen"),
    ("E01D19/00", "一种桥梁伸缩缝装置", "Bridge expansion joint"),
    ("F16B5/02", "一种快速连接紧固件", "Quick-connect fastener"),
)

_AWARDS = (("china-patent-excellence", 0.8), ("china-patent-silver", 0.06),
           ("china-patent-gold", 0.04), ("state-science-technology", 0.10))
_FOREIGN = (("US", 0.36, "Inc."), ("JP", 0.30, "Kabushiki Kaisha"), ("DE", 0.14, "GmbH"),
            ("KR", 0.12, "Co., Ltd."), ("FR", 0.04, "SA"), ("CH", 0.04, "AG"))
_HMT = (("CN", "CN-HK", "香港"), ("CN", "CN-TW", "台湾"), ("CN", "CN-MO", "澳门"),
        ("HK", "", "Hong Kong "), ("TW", "", "Taiwan "), ("MO", "", "Macao "))
_GRANT_OFFICES = ("US", "EP", "JP", "KR", "DE", "GB", "AU")
_SYLLABLES = "华中新创智联科达瑞恒泰宏信源海天星光电通云芯锐博"
_INDUSTRIES = ("科技有限公司", "电子股份有限公司", "新能源有限公司", "生物医药有限公司",
               "智能装备有限公司", "大学", "研究院", "通信技术有限公司", "材料科技有限公司")
_BRANDS = ("Acme", "Nordwind", "Sakura", "Hanbit", "Lumen", "Vektor", "Orion", "Kestrel",
           "Fujimi", "Daewon", "Alpen", "Helix")

# Approximate real-scale number of patent rows of the model; patents=N uses S = _REAL_ROWS / N.
_REAL_ROWS = 10_500_000
_UTILITY_REAL = 2_000_000
_DESIGN_REAL = 800_000
_FOREIGN_REAL = 1_000_000

# --- day table: index -> ISO string; filing/grant dates are drawn as day indexes -------------
_DAY0 = date(1990, 1, 1).toordinal()
_DAYS = [date.fromordinal(o).isoformat() for o in range(_DAY0, date(2026, 1, 1).toordinal())]
_YEAR_START = {y: date(y, 1, 1).toordinal() - _DAY0 for y in range(1990, 2027)}
LAST_DAY = _YEAR_START[2025] - 1


@dataclass
class DemoSummary:
    """What ``generate`` wrote, and the national figures it calibrated by construction."""

    out_dir: Path
    scale: float
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    valid: dict[int, int] = field(default_factory=dict)
    high_value: dict[int, int] = field(default_factory=dict)
    population: dict[int, int] = field(default_factory=dict)

    @property
    def indicator(self) -> dict[int, float]:
        """National high-value patents per 10,000 people, per year."""
        return {y: self.high_value[y] / self.population[y] * 10_000 for y in YEARS}

    def __str__(self) -> str:
        """``demo1/: 42,181 patents, 6,840 owners, ... (scale 250); ...``, for people."""
        counts = table_rows(self.rows)
        last = YEARS[-1]
        return (f"{os.path.join(self.out_dir, '')}: {counts} (scale {_number(self.scale)}); "
                f"national indicator {last}: {self.indicator[last]:.2f} per 10,000 "
                f"(official {official.per_10k()[last]})")


def _number(x: float) -> str:
    """``10500.0`` -> ``10,500``; ``954545.4545`` -> ``954,545.45``; ``0.25`` -> ``0.25``."""
    if x < 1 or x >= 1e12:
        return f"{x:.3g}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


@dataclass
class _Spec:
    """One domestic invention patent at year resolution (dates are drawn inside the years)."""

    fy: int
    gy: int | None
    lapse_y: int | None = None
    sei: bool = False
    overseas_y: int | None = None
    pledge_y: int | None = None
    award_y: int | None = None
    small_pledges: bool = False
    pending_family: bool = False
    region: int | None = None


def _targets(scale: float) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Scaled (valid, high-value, population) targets per year."""
    valid, high, pop = {}, {}, {}
    for year in YEARS:
        target = official.series()[year]
        v, h, per10k = target.valid_invention_count, target.high_value_count, target.per_10k
        pop[year] = _persons(target.population // 10_000, scale)
        low = math.ceil((per10k - TOLERANCE) * pop[year] / 10_000)
        high_ = math.floor((per10k + TOLERANCE) * pop[year] / 10_000)
        want = round(h / scale)
        high[year] = min(max(want, low), high_) if low <= high_ else round(per10k * pop[year] / 1e4)
        valid[year] = round(v / scale)
    return valid, high, pop


class _Writer:
    """Streams the CSV files and tallies the domestic year-end counts."""

    def __init__(self, out_dir: Path, scale: float, seed: int,
                 progress: Callable[[int, int], None] | None) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.progress = progress
        #: Patent rows expected (for progress; the exact number is known at the end).
        self.expected = round(_REAL_ROWS / scale)
        self.files = {name: (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="")
                      for name in ("patents", "owners", "family_members", "pledges", "awards",
                                   "population")}
        self.w = {name: csv.writer(f, lineterminator="\n") for name, f in self.files.items()}
        self.w["patents"].writerow(["patent_id", "kind", "title", "filing_date", "grant_date",
                                    "lapse_date", "ipc", "owners", "family_id"])
        self.w["owners"].writerow(["owner_id", "name", "country", "region"])
        self.w["family_members"].writerow(["family_id", "publication_number", "office",
                                           "granted_date"])
        self.w["pledges"].writerow(["pledge_id", "patent_id", "registration_date", "amount_cny"])
        self.w["awards"].writerow(["award_id", "patent_id", "award", "year"])
        self.w["population"].writerow(["region", "year", "population"])
        self.rows = dict.fromkeys(self.files, 0)
        self.valid = dict.fromkeys(YEARS, 0)
        self.high = dict.fromkeys(YEARS, 0)
        self.counter = {"patent": 0, "family": 0, "pub": 0, "pledge": 0, "award": 0, "owner": 0}
        self.cum_region = list(accumulate(p[2] for p in PROVINCES))
        self.award_cum = list(accumulate(a[1] for a in _AWARDS))
        self.foreign_cum = list(accumulate(f[1] for f in _FOREIGN))
        self._owners()

    def n(self, real: float) -> int:
        """A real-world count divided by the scale."""
        return round(real / self.scale)

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def _row(self, name: str, row: list[object]) -> None:
        self.w[name].writerow(row)
        self.rows[name] += 1

    # --- owners -------------------------------------------------------------------------------
    def _owner(self, name: str, country: str, region: str) -> str:
        self.counter["owner"] += 1
        oid = f"O{self.counter['owner']:07d}"
        self._row("owners", [oid, name, country, region])
        return oid

    def _owners(self) -> None:
        """Owner pools: per province (size ∝ weight), unknown-region CN, HMT, foreign."""
        rng = self.rng
        total = max(62, self.n(_REAL_ROWS) // 7)
        total_weight = self.cum_region[-1]
        self.pools: list[list[str]] = []
        for code, short, weight in PROVINCES:
            size = max(2, round(total * weight / total_weight))
            pool = []
            for _ in range(size):
                brand = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
                pool.append(self._owner(short + brand + rng.choice(_INDUSTRIES), "CN", code))
            self.pools.append(pool)
        self.unknown_pool = [self._owner("个人申请人" + rng.choice(_SYLLABLES) + str(i), "CN", "")
                             for i in range(max(2, total // 300))]
        self.hmt_pool = []
        for i in range(max(6, total // 60)):
            country, region, prefix = _HMT[i % len(_HMT)]
            name = (prefix + rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + "科技有限公司"
                    if country == "CN" else f"{prefix}{rng.choice(_BRANDS)} Holdings Limited")
            self.hmt_pool.append(self._owner(name, country, region))
        self.foreign_pools = []
        for country, share, suffix in _FOREIGN:
            size = max(2, round(total * 0.12 * share))
            self.foreign_pools.append([
                self._owner(f"{rng.choice(_BRANDS)} {rng.choice(_BRANDS)}tech {suffix}",
                            country, "") for _ in range(size)])

    def domestic_owner(self, region: int | None = None) -> str:
        rng = self.rng
        if region is None:
            if rng.random() < 0.004:
                pool = self.unknown_pool
                return pool[int(len(pool) * rng.random())]
            region = bisect_right(self.cum_region, rng.random() * self.cum_region[-1])
            region = min(region, len(PROVINCES) - 1)
        pool = self.pools[region]
        return pool[int(len(pool) * rng.random() ** 2)]

    def foreign_owner(self) -> str:
        rng = self.rng
        if rng.random() < 0.06:
            return self.hmt_pool[int(len(self.hmt_pool) * rng.random())]
        i = min(bisect_right(self.foreign_cum, rng.random()), len(_FOREIGN) - 1)
        pool = self.foreign_pools[i]
        return pool[int(len(pool) * rng.random() ** 2)]

    def co_owners(self, first: str, foreign_first: bool) -> str:
        r = self.rng.random()
        if r > 0.13:
            return first
        others = [self.domestic_owner() if (foreign_first or r < 0.11) else self.foreign_owner()]
        if r < 0.03:
            others.append(self.domestic_owner())
        return ";".join([first, *(o for o in others if o != first)])

    # --- dates and codes ----------------------------------------------------------------------
    def day(self, year: int, after: int = -1) -> int:
        """A random day index in ``year``, strictly after index ``after`` if that is in year."""
        start, end = _YEAR_START[year], _YEAR_START[year + 1]
        start = max(start, after + 1)
        return start + int((end - start) * self.rng.random())

    def ipc(self, sei: bool) -> tuple[str, str]:
        """An IPC list (';'-joined, some with a space as in 'G06N 3/04') and a title."""
        rng = self.rng
        first = rng.choice(_SEI_CODES if sei else _PLAIN_CODES)
        codes = [first[0]]
        if rng.random() < 0.35:
            extra = rng.choice(_PLAIN_CODES)[0]
            if extra not in codes:
                codes.append(extra)
        if rng.random() < 0.2:
            codes = [c[:4] + " " + c[4:] for c in codes]
        title = first[1] if rng.random() < 0.8 else first[2]
        return ";".join(codes), title

    def patent_id(self, fy: int, kind_digit: int) -> str:
        self.counter["patent"] += 1
        count = self.counter["patent"]
        if self.progress and count % 10_000 == 0:
            self.progress(count, max(self.expected, count + 1))
        return f"CN{fy}{kind_digit}{count:07d}"

    # --- families, pledges, awards ------------------------------------------------------------
    def family(self, members: list[tuple[str, int | None]]) -> str:
        """Write a family; members are (office, granted day index or None)."""
        self.counter["family"] += 1
        fid = f"F{self.counter['family']:08d}"
        for office, granted in members:
            self.counter["pub"] += 1
            kind = ("B" if granted is not None else "A") if office in ("CN", "JP") else (
                "B1" if granted is not None else "A1")
            pub = f"{office}{self.counter['pub']:09d}{kind}"
            self._row("family_members", [fid, pub, office,
                                         _DAYS[granted] if granted is not None else ""])
        return fid

    def pledge(self, pid: str, day: int, amount: int) -> None:
        self.counter["pledge"] += 1
        self._row("pledges", [f"PL{self.counter['pledge']:08d}", pid, _DAYS[day], amount])

    def award(self, pid: str, year: int, kind: str | None = None) -> None:
        self.counter["award"] += 1
        if kind is None:
            kind = _AWARDS[min(bisect_right(self.award_cum, self.rng.random()),
                               len(_AWARDS) - 1)][0]
        self._row("awards", [f"AW{self.counter['award']:07d}", pid, kind, year])

    # --- domestic invention patents -----------------------------------------------------------
    def domestic(self, s: _Spec) -> None:
        """Write one domestic invention patent and tally it."""
        rng = self.rng
        fday = self.day(s.fy)
        gday = self.day(s.gy) if s.gy is not None else None
        lday = self.day(s.lapse_y, gday if gday is not None else fday) if s.lapse_y else None
        pid = self.patent_id(s.fy, 1)
        ipc, title = self.ipc(s.sei)
        owners = self.co_owners(self.domestic_owner(s.region), False)
        family = self._domestic_family(s, fday, gday)
        self._row("patents", [pid, "invention", title, _DAYS[fday],
                              _DAYS[gday] if gday is not None else "",
                              _DAYS[lday] if lday is not None else "", ipc, owners, family])
        if s.pledge_y is not None and gday is not None:
            if rng.random() < 0.3 and s.gy is not None and s.pledge_y > s.gy + 1:
                self.pledge(pid, self.day(s.pledge_y - 1, gday), rng.randrange(1, 99) * 100_000)
            amount = PLEDGE_THRESHOLD if rng.random() < 0.1 else rng.randrange(1001, 30000) * 10_000
            self.pledge(pid, self.day(s.pledge_y, gday), amount)
        if s.small_pledges and gday is not None and s.gy is not None and s.gy < 2024:
            self._small_pledges(pid, gday)
        if s.award_y is not None:
            self.award(pid, s.award_y)
        self._tally(s, fday)

    def _small_pledges(self, pid: str, gday: int) -> None:
        """Pledges that never qualify: each below the threshold (sometimes summing above it)."""
        rng = self.rng
        year = rng.randrange(_DAYS_YEAR(gday) + 1, 2025)
        r = rng.random()
        if r < 0.2:
            self.pledge(pid, self.day(year, gday), PLEDGE_THRESHOLD - 1)
        elif r < 0.5:
            self.pledge(pid, self.day(year, gday), 6_000_000)
            self.pledge(pid, self.day(year, gday), 6_000_000)
        else:
            self.pledge(pid, self.day(year, gday), rng.randrange(5, 999) * 10_000)

    def _domestic_family(self, s: _Spec, fday: int, gday: int | None) -> str:
        rng = self.rng
        if s.overseas_y is not None:
            members: list[tuple[str, int | None]] = [("CN", gday)]
            if rng.random() < 0.6:
                members.append(("WO", None))
            office = rng.choice(_GRANT_OFFICES)
            members.append((office, self.day(s.overseas_y, fday)))
            if rng.random() < 0.3:
                other = rng.choice([o for o in _GRANT_OFFICES if o != office])
                later = (self.day(rng.randrange(s.overseas_y, 2025), fday)
                         if rng.random() < 0.3 else None)
                members.append((other, later))
            return self.family(members)
        if s.pending_family:
            return self.family([("CN", gday), ("WO", None), (rng.choice(_GRANT_OFFICES), None)])
        if rng.random() < 0.08:
            return self.family([("CN", gday)])
        return ""

    def _tally(self, s: _Spec, fday: int) -> None:
        if s.gy is None:
            return
        dec31 = fday == _YEAR_START[s.fy + 1] - 1
        end = min(s.lapse_y or 9999, s.fy + 20)
        starts = [s.fy + 10 + dec31]
        if s.sei:
            starts.append(s.gy)
        starts.extend(y for y in (s.overseas_y, s.pledge_y, s.award_y) if y is not None)
        hv_from = max(min(starts), s.gy)
        for year in YEARS:
            if s.gy <= year < end:
                self.valid[year] += 1
                if year >= hv_from:
                    self.high[year] += 1

    # --- other kinds --------------------------------------------------------------------------
    def foreign_invention(self) -> None:
        """An invention whose first owner is foreign or from Hong Kong, Macao or Taiwan."""
        rng = self.rng
        fy = rng.randrange(2004, 2025)
        fday = self.day(fy)
        gy = fy + rng.randrange(2, 6)
        gday = self.day(gy) if gy <= 2024 and rng.random() < 0.8 else None
        lday = None
        if gday is not None and gy < 2024 and rng.random() < 0.2:
            lday = self.day(rng.randrange(gy + 1, min(2025, fy + 20)), gday)
        pid = self.patent_id(fy, 1)
        ipc, title = self.ipc(rng.random() < 0.5)
        owners = self.co_owners(self.foreign_owner(), True)
        members: list[tuple[str, int | None]] = [("CN", gday)]
        if rng.random() < 0.5:
            members.append(("WO", None))
        home = rng.choice(_GRANT_OFFICES)
        hy = fy + rng.randrange(1, 5)
        members.append((home, self.day(hy, fday) if hy <= 2024 and rng.random() < 0.75 else None))
        family = self.family(members) if rng.random() < 0.9 else ""
        self._row("patents", [pid, "invention", title, _DAYS[fday],
                              _DAYS[gday] if gday is not None else "",
                              _DAYS[lday] if lday is not None else "", ipc, owners, family])
        if gday is not None and rng.random() < 0.01:
            self.award(pid, rng.randrange(gy, 2025))

    def small_kind(self, kind: str) -> None:
        """A utility model or design (never high-value, whatever its pledges or codes)."""
        rng = self.rng
        fy = rng.randrange(2012, 2025)
        fday = self.day(fy)
        grant = fday + 90 + int(330 * rng.random())
        gday = grant if grant <= LAST_DAY else None
        lday = None
        if gday is not None and rng.random() < 0.3:
            lapse = gday + 200 + int(1500 * rng.random())
            lday = lapse if lapse <= LAST_DAY else None
        pid = self.patent_id(fy, 2 if kind == "utility_model" else 3)
        if kind == "design":
            ipc, title = "", "外观设计" + rng.choice(("（手机）", "（座椅）", "（灯具）", "（瓶）"))
        else:
            ipc, title = self.ipc(rng.random() < 0.3)
        first = self.foreign_owner() if rng.random() < 0.05 else self.domestic_owner()
        self._row("patents", [pid, kind, title, _DAYS[fday],
                              _DAYS[gday] if gday is not None else "",
                              _DAYS[lday] if lday is not None else "", ipc, first, ""])
        if gday is not None and kind == "utility_model" and gday < _YEAR_START[2024]:
            r = rng.random()
            if r < 0.01:
                self.pledge(pid, self.day(2024, gday), 20_000_000)
            elif r < 0.012:
                self.award(pid, 2024, "china-patent-excellence")

    def population(self, pop: dict[int, int]) -> None:
        for year in YEARS:
            self._row("population", ["CN", year, pop[year]])
        # The next year's national population, scaled like the others: without it the store's
        # built-in (real) one would divide the scaled-down count (the dashboard's 2025 point)
        self._row("population", ["CN", YEARS[-1] + 1, _persons(
            official.national_population()[NEXT_YEAR] // 10_000, self.scale)])
        for code, _, _ in PROVINCES:
            for year in YEARS:
                self._row("population", [code, year, _persons(
                    official.population()[code, year] // 10_000, self.scale)])


def _persons(wan: int, scale: float) -> int:
    """A population in 万人, in persons divided by the scale: at least 1 (docs/rules.md §3 wants a
    whole number above 0, and a region never has no people, however large the scale)."""
    return max(1, round(wan * 10_000 / scale))


def _DAYS_YEAR(day: int) -> int:  # noqa: N802 - reads like the table it indexes
    """Calendar year of a day index."""
    return int(_DAYS[day][:4])


# --- base groups (real-scale counts, divided by the scale) -------------------------------------
# Filing cohorts still alive in the window: they become "maintained" at filing year + 10.
_COHORTS = {2001: 5, 2002: 8, 2003: 11, 2004: 14, 2005: 18, 2006: 22, 2007: 28, 2008: 35,
            2009: 50, 2010: 65, 2011: 89, 2012: 112, 2013: 127, 2014: 144}
_OVERSEAS = {**dict.fromkeys(range(2012, 2021), 6.5), 2021: 14, 2022: 16, 2023: 18, 2024: 22}
_PLEDGES = {**dict.fromkeys(range(2015, 2021), 2.5), 2021: 5, 2022: 6, 2023: 7, 2024: 8}
_AWARD_YEARS = dict.fromkeys(range(2007, 2025), 2.2)


def _base(w: _Writer) -> None:
    """Write the structured domestic groups (counts in thousands, real scale)."""
    rng = w.rng
    for fy, k in _COHORTS.items():
        for _ in range(w.n(k * 1000)):
            gy = fy + rng.randint(1, 4)
            lapse = rng.randint(2021, 2024) if rng.random() < 0.04 else None
            lapse = lapse if lapse is not None and gy < lapse < fy + 20 else None
            w.domestic(_Spec(fy, gy, lapse, sei=rng.random() < 0.25,
                             pending_family=rng.random() < 0.04))
    for fy in range(1995, 2001):  # expired at the end of the 20-year term before the window
        for _ in range(w.n(4000)):
            w.domestic(_Spec(fy, fy + rng.randint(1, 4), sei=rng.random() < 0.2))
    for _ in range(w.n(600_000)):  # lapsed before or in 2020
        fy = rng.randint(2003, 2016)
        gy = fy + rng.randint(1, 3)
        w.domestic(_Spec(fy, gy, rng.randint(gy + 1, 2020), sei=rng.random() < 0.3))
    for go, thousands in _OVERSEAS.items():
        for _ in range(w.n(thousands * 1000)):
            fy = rng.randint(max(2008, go - 5), go - 1)
            w.domestic(_Spec(fy, min(fy + rng.randint(1, 4), 2024), sei=rng.random() < 0.3,
                             overseas_y=go))
    for pg, thousands in _PLEDGES.items():
        for _ in range(w.n(thousands * 1000)):
            gy = rng.randint(pg - 4, pg - 1)
            w.domestic(_Spec(rng.randint(max(2006, gy - 4), gy - 1), gy, pledge_y=pg,
                             sei=rng.random() < 0.2))
    for ay, thousands in _AWARD_YEARS.items():
        for _ in range(w.n(thousands * 1000)):
            gy = rng.randint(max(2006, ay - 6), ay)
            w.domestic(_Spec(rng.randint(max(2005, gy - 4), gy - 1), gy, award_y=ay,
                             sei=rng.random() < 0.4))
    for lapse in (2021, 2022, 2023, 2024):  # lapse inside the window
        for _ in range(w.n(60_000)):
            fy = rng.randint(2015, 2019)
            w.domestic(_Spec(fy, min(fy + rng.randint(1, 3), 2020), lapse,
                             small_pledges=rng.random() < 0.05))
        for _ in range(w.n(15_000)):
            fy = rng.randint(2008, 2018)
            w.domestic(_Spec(fy, min(fy + rng.randint(1, 3), 2020), lapse, sei=True))
    for fy, k in ((2021, 100), (2022, 200), (2023, 300), (2024, 400)):  # pending applications
        for _ in range(w.n(k * 1000)):
            w.domestic(_Spec(fy, None, sei=rng.random() < 0.5,
                             pending_family=rng.random() < 0.25))


def _plan(residual: list[int]) -> list[list[int | None]]:
    """Entries/exits realising a non-negative series: [entry year, exit year or None] each."""
    plan: list[list[int | None]] = []
    alive: list[list[int | None]] = []
    prev = 0
    for year, want in zip(YEARS, residual, strict=True):
        want = max(0, want)
        for _ in range(want - prev):
            item: list[int | None] = [year, None]
            plan.append(item)
            alive.append(item)
        for _ in range(prev - want):
            alive.pop()[1] = year
        prev = want
    return plan


def _fill(w: _Writer, h_target: dict[int, int], v_target: dict[int, int]) -> None:
    """Top up the high-value stock with SEI patents, then the valid stock with plain ones."""
    rng = w.rng
    plan = _plan([h_target[y] - w.high[y] for y in YEARS])
    for i, (entry, exit_) in enumerate(plan):
        gy = rng.choice((2015, 2016, 2016, 2017, 2017, 2018, 2018, 2018, 2019, 2019, 2019,
                         2020, 2020, 2020)) if entry == 2020 else entry
        assert gy is not None
        w.domestic(_Spec(gy - rng.randint(1, 4), gy, exit_, sei=True,
                         region=i if i < len(PROVINCES) else None))
    plan = _plan([v_target[y] - w.valid[y] for y in YEARS])
    for entry, exit_ in plan:
        gy = rng.randint(2016, 2020) if entry == 2020 else entry
        assert gy is not None
        w.domestic(_Spec(max(2015, gy - rng.randint(1, 4)), gy, exit_,
                         small_pledges=rng.random() < 0.05,
                         pending_family=rng.random() < 0.06))


def generate(out_dir: Path, *, scale: float = DEFAULT_SCALE, patents: int | None = None,
             seed: int = 0, progress: Callable[[int, int], None] | None = None,
             force: bool = True) -> DemoSummary:
    """Write a calibrated demo data set (exchange format) into ``out_dir``.

    ``scale`` divides real counts and populations (default 250 → ≈42,000 patent rows);
    ``patents``, if given, fixes the number of patent rows instead and derives the scale.
    ``progress(done, total)`` is called with the number of patent rows written and the number
    expected: at the start, every 10,000 rows and at the end (where ``done == total``). Returns
    the rows per file and the national counts it calibrated, which the docs/rules.md rules reproduce
    (``tests/oracle.py``). Raises ``ValueError`` for a ``scale`` or ``patents`` that is not
    above 0 (or a ``scale`` that is not finite), and :class:`~kg.errors.InputError` for a
    folder it cannot or must not write into (see :func:`check_out_dir`).
    """
    if patents is not None:
        if patents <= 0:
            raise ValueError("patents must be a positive number")
        scale = _REAL_ROWS / patents
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError("scale must be a finite number above 0")
    out_dir = Path(out_dir)
    check_out_dir(out_dir, force=force)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return _generate(out_dir, scale, patents, seed, progress)
    except OSError as exc:
        where = exc.filename or out_dir
        raise InputError(f"cannot write the demo data to {out_dir}: {exc.strerror or exc}"
                         + (f" ({where})" if str(where) != str(out_dir) else "")) from None


def check_out_dir(out_dir: Path, *, force: bool = False) -> None:
    """Refuse a folder that holds an Oxigraph store (it has a ``CURRENT`` file) or lies inside
    one, whatever ``force`` says; without ``force``, refuse one that is not empty."""
    here = Path(os.path.abspath(out_dir))
    for folder in (here, *here.parents):
        if is_store_dir(folder):
            inside = "" if folder == here else f" is inside {folder}, which"
            raise InputError("%(out_dir)s%(inside)s holds an Oxigraph store: write the demo "
                             "data to another folder", out_dir=out_dir, inside=inside)
    if not force and out_dir.is_dir() and any(out_dir.iterdir()):
        raise InputError("%(out_dir)s is not empty: choose a new or empty folder, or give "
                         "--force to overwrite the demo's CSV files there", out_dir=out_dir)


def _generate(out_dir: Path, scale: float, patents: int | None, seed: int,
              progress: Callable[[int, int], None] | None) -> DemoSummary:
    v_target, h_target, pop = _targets(scale)
    w = _Writer(out_dir, scale, seed, progress)
    if progress:
        progress(0, max(w.expected, 1))
    try:
        _base(w)
        _fill(w, h_target, v_target)
        for _ in range(w.n(_FOREIGN_REAL)):
            w.foreign_invention()
        for _ in range(w.n(_DESIGN_REAL)):
            w.small_kind("design")
        utility = w.n(_UTILITY_REAL) if patents is None else max(0, patents - w.rows["patents"])
        for _ in range(utility):
            w.small_kind("utility_model")
        w.population(pop)
    finally:
        w.close()
    dataset.write_metadata(out_dir, dataset.demo_metadata(scale, seed))
    if progress:
        progress(w.rows["patents"], w.rows["patents"])
    return DemoSummary(out_dir, scale, seed, dict(w.rows), dict(w.valid), dict(w.high), pop)
