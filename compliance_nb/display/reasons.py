"""What each status label means, in words a methods section can quote.

The meanings are those of X's documentation of the batch compliance results (the reason
values; ``bounced`` appears only in its 2026 rewrite). The labels are the statuses of
:mod:`compliance_nb.rules.outcomes`: a reason, ``geo_scrubbed`` for both spellings of a geo
scrub, ``user_<reason>`` for a Tweet whose author's result asks for removal.

>>> print(meaning("bounced", "tweets"))
the Tweet failed X's compliance check (X: "Post failed compliance check")
>>> meaning("user_suspended", "tweets")
"the Tweet's author: the account was suspended"
>>> meaning("edited_somehow", "tweets")  # doctest: +ELLIPSIS
'a reason X does not document (as X sent it); treated as requiring removal'
"""

from __future__ import annotations

from ..rules.outcomes import AVAILABLE, GEO_SCRUBBED, USER_PREFIX

__all__ = ["meaning"]

_TWEETS = {
    "deleted": "the Tweet was deleted",
    "suspended": "the Tweet's account was suspended",
    "protected": "the Tweet's account became protected (private)",
    "deactivated": "the Tweet's account was deactivated",
    "bounced": 'the Tweet failed X\'s compliance check (X: "Post failed compliance check")',
    GEO_SCRUBBED: "the Tweet's geo information was removed: the Tweet stays, its geo data goes",
}
_USERS = {
    "deleted": "the account was deleted",
    "suspended": "the account was suspended",
    "protected": "the account became protected (private)",
    "deactivated": "the account was deactivated",
    "bounced": 'the account failed X\'s compliance check (X: "failed compliance check")',
    GEO_SCRUBBED: "the account's geo information was removed",
}
_AVAILABLE = "no result line: nothing to do, the item may be kept as it is"
_UNKNOWN = "a reason X does not document (as X sent it); treated as requiring removal"


def meaning(label: str, kind: str) -> str:
    """What ``label`` (a status) means for an item of ``kind`` (``"tweets"``/``"users"``)."""
    if label == AVAILABLE:
        return _AVAILABLE
    if label.startswith(USER_PREFIX) and kind == "tweets":
        return "the Tweet's author: " + _USERS.get(label[len(USER_PREFIX) :], _UNKNOWN)
    return (_USERS if kind == "users" else _TWEETS).get(label, _UNKNOWN)
