"""Files named in params: the type that keeps them inside the project.

A params field that names a file or folder is typed :data:`ProjectFile`. ``load_params``
finds every such field (:func:`is_project_file`) and requires its value to resolve, after
symlinks, inside the project folder or the data root the consultant names
(``--data-root``); see :meth:`cxresearch.params.Params.check_files`. Declaring a new file
key with this type is all it takes to confine it.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

__all__ = ["ProjectFile", "is_project_file"]


class _ProjectFileMarker:
    def __repr__(self) -> str:
        return "ProjectFile"


PROJECT_FILE = _ProjectFileMarker()
#: A params value that names a file or folder of the project.
ProjectFile = Annotated[str, PROJECT_FILE]


def is_project_file(metadata: list[Any], annotation: Any) -> bool:
    """Whether a pydantic field (its ``metadata`` and ``annotation``) is a ProjectFile.

    Also finds the marker inside ``ProjectFile | None`` and ``list[ProjectFile]``.
    """
    if PROJECT_FILE in metadata:
        return True
    stack = [annotation]
    while stack:
        node = stack.pop()
        if typing.get_origin(node) is Annotated and PROJECT_FILE in node.__metadata__:
            return True
        stack.extend(typing.get_args(node))
    return False
