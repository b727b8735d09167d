"""The namespaces the app serves whatever the base (web.links maps IRIs to paths with them)."""

from __future__ import annotations

from kg import AWARD_KIND, GENID, PROFILE_NS, SEI

#: IRIs fixed whatever the base (vocabularies, criteria profiles, the reference data's
#: skolemized blank nodes), served under these paths. Criterion and condition units
#: (``kg.units.NAMESPACES``) too, by web.units.
FIXED = {"sei": str(SEI), "award-kind": str(AWARD_KIND), "profile": PROFILE_NS,
         ".well-known/genid": GENID}
