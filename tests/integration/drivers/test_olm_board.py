"""The OLM board driver against the simulated board, over a pty and over TCP."""

import io
from datetime import datetime

import pytest
from PIL import Image

from drivers import olm
from drivers.errors import DeviceRejectedError, DeviceTimeoutError
from drivers.olm_board import OlmBoard
from drivers.transport import SerialTransport, TcpClientTransport
from simulators.led_board import LedBoardSimulator


@pytest.fixture(params=["pty", "tcp"])
def board(request):
    sim = LedBoardSimulator()
    if request.param == "pty":
        transport = SerialTransport(sim.serve_pty(), baudrate=9600)
    else:
        transport = TcpClientTransport(*sim.serve_tcp())
    driver = OlmBoard(transport, ack_timeout=0.3, retries=2)
    yield driver, sim
    transport.close()
    sim.shutdown()


def test_text_and_voice_reach_the_board(board):
    driver, sim = board
    driver.show_text(0, "粤B12345", color=olm.GREEN)
    driver.speak("欢迎光临")
    assert sim.state.lines[0] == ("粤B12345", (0, 255, 0, 0), 10)
    assert sim.state.spoken == ["欢迎光临"]


def test_relay_clock_and_free_spaces(board):
    driver, sim = board
    driver.open()
    driver.set_clock(datetime(2024, 3, 10, 14, 5, 9))
    driver.show_free_spaces(37)
    assert sim.state.relays == [(1, 1)]
    assert sim.state.clock == datetime(2024, 3, 10, 14, 5, 9)
    assert sim.state.free_spaces == 37


def test_missing_ack_is_retried(board):
    driver, sim = board
    sim.silent_next = 1
    driver.speak("一路顺风")
    assert len(sim.frames) == 2 and sim.state.spoken == ["一路顺风"]


def test_negative_ack_is_retried_then_reported(board):
    driver, sim = board
    sim.nak_next = 3
    with pytest.raises(DeviceRejectedError, match="command 0x30 answered ACK 0x01"):
        driver.speak("欢迎光临")
    assert len(sim.frames) == 3


def test_board_that_never_answers_times_out_after_the_retries(board):
    driver, sim = board
    sim.silent_next = 3
    with pytest.raises(DeviceTimeoutError, match="no ACK to command 0x62 within 0.3 s"):
        driver.show_text(1, "满位")
    assert len(sim.frames) == 3


def test_render_png_draws_the_lines():
    sim = LedBoardSimulator()
    sim.handle(olm.decode_frame(olm.show_text(0, "京A12345", color=olm.RED)))
    img = Image.open(io.BytesIO(sim.render_png()))
    assert img.size == (256, 128)
    assert (255, 0, 0) in {c for _, c in img.getcolors(100000)}
