"""The number types of every CallbackData field (see db/ids.py for the range).

Every integer in button data is an id, a page or a count, never negative and never beyond an
INTEGER column: forged data outside 0..2**31-1 fails to unpack, so no handler filter matches
and the fallback answers it as a stale button (nothing is queried). 0 stays valid: it is the
"none" of the fields that default to it.
"""

from typing import Annotated

from pydantic import Field

from db.ids import ID_MAX

Id = Annotated[int, Field(ge=0, le=ID_MAX)]  # a row's id; 0: none
Number = Annotated[int, Field(ge=0, le=ID_MAX)]  # a page, a count or a flag
