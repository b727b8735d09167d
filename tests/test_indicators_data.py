"""A small exchange-format folder whose indicator is known by hand (shared by indicator tests).

At 2024-12-31 the valid, domestic, high-value invention patents are P1 and P8 (CN-GD), P2 and P9
(CN-BJ) and P3 (first owner in CN with no region): CN counts 5, CN-GD 2, CN-BJ 2. P4 (US owner)
and P7 (Hong Kong owner) are high-value but not domestic; P5 is valid but meets no criterion; P6
lapsed in 2015. At 2020-12-31 only P1 is high-value (maintained: filed 2010-01-01).
"""

from __future__ import annotations

from pathlib import Path

from kg.ingest import ingest
from kg.iri import DEFAULT_BASE

EXPECTED_2024 = {"CN": 5, "CN-GD": 2, "CN-BJ": 2}
EXPECTED_2020 = {"CN": 1, "CN-GD": 1}

FILES = {
    "owners.csv": """owner_id,name,country,region
O1,Guangzhou Robotics Co.,CN,CN-GD
O2,Beijing Neural Ltd.,CN,CN-BJ
O3,Somewhere Inc.,CN,
O4,US Widgets LLC,US,
O5,Harbour Tech,CN,CN-HK
""",
    "patents.csv": """patent_id,kind,title,filing_date,grant_date,lapse_date,ipc,owners,family_id
P1,invention,Old gripper,2010-01-01,2012-03-01,,A47J27/00,O1,
P2,invention,Young lamp,2012-05-05,2014-06-01,,A47J27/00,O2,
P3,invention,Old pot,2011-01-01,2013-01-01,,A47J27/00,O3,
P4,invention,US pot,2010-01-01,2012-01-01,,A47J27/00,O4,
P5,invention,New pot,2020-01-01,2022-01-01,,A47J27/00,O1,
P6,invention,Lapsed pot,2008-01-01,2010-01-01,2015-01-01,A47J27/00,O1,
P7,invention,HK pot,2010-01-01,2012-01-01,,A47J27/00,O5,
P8,invention,Pledged pot,2020-01-01,2021-01-01,,A47J27/00,O1;O2,
P9,invention,Neural chip,2019-01-01,2021-01-01,,G06N3/063,O2,
U1,utility_model,Small thing,2010-01-01,2011-01-01,,A47J27/00,O1,
""",
    "pledges.csv": """pledge_id,patent_id,registration_date,amount_cny
L1,P8,2023-03-01,20000000
""",
}


def write_fixture(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def load_fixture(store, tmp: Path, base: str = DEFAULT_BASE) -> None:
    """Ingest the fixture (reference data must already be loaded)."""
    ingest(store, [write_fixture(tmp / "small")], base=base)
