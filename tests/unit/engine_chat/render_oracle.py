"""Reference renderer for the chat-template conformance test.

Usage: render_oracle.py TEMPLATE_FILE < context.json
       render_oracle.py --batch < jobs.json

Renders with the environment Hugging Face uses for chat templates:
trim_blocks, lstrip_blocks, loop controls, the `{% generation %}` block
(rendered as its body), the globals raise_exception and strftime_now, and
a tojson filter that calls json.dumps without HTML escaping.

The context's "__now__" key (ISO date-time) fixes the clock so both sides
of the comparison see the same date. Single mode prints the rendering, or
exits with status 3 and the error on stderr. Batch mode reads a list of
{"template": path or "source": text, "context": {...}} and prints a JSON list of
{"ok": bool, "out": str} so one interpreter start covers every case.
"""
import datetime
import json
import sys

import jinja2
import jinja2.ext
from jinja2 import nodes


class GenerationBlock(jinja2.ext.Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


class FixedClock:
    now = datetime.datetime(2025, 3, 4, 5, 6, 7)


def make_env():
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True,
                             extensions=[GenerationBlock, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: FixedClock.now.strftime(fmt)
    return env


ENV = make_env()
COMPILED = {}  # compiling is the slow part; a batch reuses each template


def render(path, context, source=None):
    FixedClock.now = datetime.datetime.fromisoformat(context.pop("__now__", "2025-03-04T05:06:07"))
    if source is None:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    if source not in COMPILED:
        COMPILED[source] = ENV.from_string(source)
    return COMPILED[source].render(**context)


def main():
    if sys.argv[1] == "--batch":
        results = []
        for job in json.load(sys.stdin):
            try:
                results.append({"ok": True, "out": render(job.get("template"), job["context"], job.get("source"))})
            except Exception as e:  # any failure counts as "the template raised"
                results.append({"ok": False, "out": f"{type(e).__name__}: {e}"})
        sys.stdout.write(json.dumps(results))
        return 0
    try:
        out = render(sys.argv[1], json.load(sys.stdin))
    except Exception as e:
        sys.stderr.write(f"{type(e).__name__}: {e}\n")
        return 3
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
