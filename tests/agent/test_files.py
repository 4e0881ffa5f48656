"""A chart through the agent (issue 14 item 3): the model is told a chart is attached, never
given its bytes, and the person gets the chart with the model's answer."""

from __future__ import annotations

import json

from bot.agent.tools import compact
from bot.render_text import render
from skills.parts import File, Reply, Table
from tests.agent.conftest import ai, call, script

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_reply_as_json_describes_its_file_without_the_bytes() -> None:
    chart = File("Tracked spend by vendor", "spend.png", PNG + b"\x00" * 5000)
    reply = Reply(parts=(Table("Tracked spend by vendor", ("Vendor",), (("Zoom",),)), chart))
    described = reply.as_dict()["parts"][1]
    assert described == {
        "type": "File",
        "title": "Tracked spend by vendor",
        "filename": "spend.png",
        "note": "a chart is attached",
    }
    text = compact(reply)
    assert "a chart is attached" in text and "PNG" not in text and len(text) < 300
    assert "content" not in repr(chart)  # nor in a log line of the part


def test_the_model_hears_of_the_chart_and_the_person_gets_it(make_core) -> None:
    model = script(
        ai("", call("licences_spend", by="vendor")),
        ai("Zoom is the largest vendor; the chart is attached."),
    )
    core = make_core(model)
    reply = core.handle("U_ADMIN1", "what do we spend per vendor?", "console:U_ADMIN1")
    [result] = model.tool_results(1)
    told = json.loads(result.text)
    [described] = [p for p in told["parts"] if p["type"] == "File"]
    assert described["note"] == "a chart is attached" and "content" not in described
    assert "PNG" not in result.text and len(result.text) < 2000
    assert reply.parts[0].text == "Zoom is the largest vendor; the chart is attached."
    [chart] = reply.files
    direct = core.handle("U_ADMIN1", "licences spend by vendor", "console:other")
    assert chart.content.startswith(PNG) and chart == direct.files[0]
    assert "[chart: Tracked spend by vendor" in render(reply)
