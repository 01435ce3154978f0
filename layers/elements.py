"""Page elements that never run data as a template.

branca's ``Element(html)`` compiles ``html`` as a Jinja template, and every MacroElement
(folium's GeoJson, popups, markers…) adds its already rendered script to the page as
``Element(script)``: whatever data the script holds (a caller's description in a popup, an
imported region name) went through Jinja a second time, so ``{{ … }}`` typed by a caller was
evaluated on the server (template injection). No library option turns that off, hence this
module: the ``Template`` branca's ``Element`` builds from a string is replaced by one that gives
the string back as it is. Only branca's ``Div`` container, whose string is its own loop over
children, is still compiled. It also saves compiling ~40 templates per page (0.13 s of /map).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import branca.element
from branca.element import Element
from jinja2 import Template

DIV_CHILDREN = ("{% for name, element in this._children.items() %}"
                "{{element.render(**kwargs)}}"
                "{% endfor %}")
"""The one string branca itself hands to ``Element`` as a template (``Div.html``)."""


class Verbatim:
    """Stands where branca expects a jinja2 Template: renders to its source, unevaluated."""

    def __init__(self, source: str) -> None:
        self.source = source

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.source


@lru_cache(maxsize=8)
def _compiled(source: str) -> Template:
    return Template(source)


def element_template(source: str) -> Template | Verbatim:
    """What branca's ``Element(template=source)`` gets: ``source`` as text, never as code."""
    return _compiled(source) if source == DIV_CHILDREN else Verbatim(source)


setattr(branca.element, "Template", element_template)  # noqa: B010  (mypy: a class slot)


class RawHtml(Element):
    """Fixed HTML put into a page as it is (also without the patch above)."""

    _template = Template("{{ this.content }}")

    def __init__(self, content: str) -> None:
        super().__init__()
        self.content = content
