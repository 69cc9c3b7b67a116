"""The fixture starts an emulator others can use."""


def test_the_emulator_fixture_serves_on_a_loopback_port(emulator):
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.port > 0
