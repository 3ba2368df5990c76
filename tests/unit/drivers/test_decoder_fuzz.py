"""Random bytes into every decoder: nothing but DecodeError may come out."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers import hikvision, multipart, olm
from drivers.errors import DecodeError
from drivers.vz import heartbeat, push, tcp

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
noise = st.binary(max_size=600)
# bytes that start like real input, so the fuzzer reaches past the first check
vz_like = st.builds(lambda a, b: a + b, st.sampled_from([b'{"AlarmInfoPlate":{"serialno":"S","result":{"PlateResult":',
                                                          b'{"Response_AlarmInfoPlate":{', b"{", b"["]), noise)
olm_like = st.lists(st.one_of(noise, st.sampled_from([olm.speak("欢迎光临"), olm.stop_speaking(),
                                                       olm.encode_frame(0x6F, bytes(300))])), max_size=6)
vz_tcp_like = st.lists(st.one_of(noise, st.sampled_from([b"VZ", tcp.heartbeat(), tcp.encode_json({"cmd": "x"})])),
                       max_size=6)


def only_decode_errors(fn, *args):
    try:
        fn(*args)
    except DecodeError:
        pass


@FUZZ
@given(st.one_of(noise, vz_like))
def test_vz_plate_result_decoder(body):
    only_decode_errors(push.decode_plate_result, body)


@FUZZ
@given(st.one_of(noise, vz_like))
def test_vz_response_decoder(body):
    only_decode_errors(push.decode_response, body)


@FUZZ
@given(noise, st.sampled_from(["multipart/form-data; boundary=b", "application/x-www-form-urlencoded", ""]))
def test_vz_heartbeat_decoder(body, ctype):
    only_decode_errors(heartbeat.decode_heartbeat, body, ctype)


@FUZZ
@given(olm_like, st.integers(1, 7))
def test_olm_stream_decoder_never_raises_and_resynchronises(chunks, step):
    data = b"".join(chunks)
    d = olm.FrameDecoder()
    frames = [f for i in range(0, len(data), step) for f in d.feed(data[i:i + step])]
    assert all(isinstance(f, olm.OlmFrame) for f in frames)


@FUZZ
@given(noise)
def test_olm_single_frame_decoder(data):
    only_decode_errors(olm.decode_frame, data)


@FUZZ
@given(vz_tcp_like, st.integers(1, 9))
def test_vz_tcp_packet_decoder(chunks, step):
    data = b"".join(chunks)
    d = tcp.PacketDecoder(max_body=4096)
    for i in range(0, len(data), step):
        for packet in d.feed(data[i:i + step]):
            if packet.type == tcp.TYPE_JSON:
                only_decode_errors(tcp.decode_result, packet)


@FUZZ
@given(noise, st.sampled_from(["multipart/form-data; boundary=b", "application/xml", "multipart/x"]))
def test_hikvision_anpr_decoder(body, ctype):
    only_decode_errors(hikvision.decode_anpr, body, ctype)


@FUZZ
@given(st.builds(lambda a, b: a + b, st.sampled_from([b"--b\r\n", b"--b\r\nContent-Disposition: form-data; name=x"
                                                       b"\r\n\r\n", b""]), noise))
def test_multipart_parser(body):
    only_decode_errors(multipart.parse, body, "multipart/form-data; boundary=b")
