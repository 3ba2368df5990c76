from simulators.gate import CLOSED, CLOSING, OPEN, OPENING, STOPPED, GateSimulator


def test_open_travels_to_open_after_the_travel_time():
    g = GateSimulator(travel_seconds=2.0)
    g.press_open(10.0)
    assert g.advance(11.0) == OPENING and g.position == 0.5
    assert g.advance(12.0) == OPEN
    assert g.history == [(10.0, OPENING), (12.0, OPEN)]


def test_car_on_the_loop_blocks_closing():
    g = GateSimulator(travel_seconds=1.0)
    g.press_open(0.0)
    g.set_loop(True, 1.5)
    g.press_close(2.0)
    assert g.state == OPEN
    assert g.refused == [(2.0, "close refused: vehicle on the loop")]


def test_car_leaving_the_loop_closes_the_gate():
    g = GateSimulator(travel_seconds=1.0)
    g.press_open(0.0)
    g.set_loop(True, 1.5)
    g.set_loop(False, 3.0)
    assert g.state == CLOSING
    assert g.advance(4.0) == CLOSED


def test_car_arriving_while_closing_reverses_the_arm():
    g = GateSimulator(travel_seconds=1.0)
    g.press_open(0.0)
    g.press_close(1.0)
    g.set_loop(True, 1.25)
    assert g.state == OPENING and g.position == 0.75
    assert g.advance(1.5) == OPEN


def test_car_arriving_on_a_closed_gate_does_not_open_it():
    g = GateSimulator()
    g.set_loop(True, 0.0)
    assert g.state == CLOSED


def test_held_open_ignores_close_and_stays_open_after_the_car_leaves():
    g = GateSimulator(travel_seconds=1.0)
    g.hold_open(True, 0.0)
    g.set_loop(True, 2.0)
    g.set_loop(False, 3.0)
    g.press_close(4.0)
    assert g.state == OPEN
    g.hold_open(False, 5.0)
    g.press_close(5.0)
    assert g.state == CLOSING


def test_stop_halts_the_arm_where_it_is():
    g = GateSimulator(travel_seconds=2.0)
    g.press_open(0.0)
    g.press_stop(1.0)
    assert (g.state, g.position) == (STOPPED, 0.5)
    assert g.advance(9.0) == STOPPED
