package election

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandshakeRoundTrip(t *testing.T) {
	for _, h := range []Handshake{
		{Version: ProtocolV1, SID: 3, Addrs: []string{"127.0.0.1:3888"}},
		{Version: ProtocolV2, SID: 1, Addrs: []string{"a:1", "b:2"}},
		{Version: 7, SID: 7},
	} {
		b := AppendHandshake(nil, h)
		got, err := DecodeHandshake(b)
		require.NoError(t, err)
		assert.Equal(t, h, got)
	}
}

func TestHandshakeBytes(t *testing.T) {
	b := AppendHandshake(nil, Handshake{Version: ProtocolV1, SID: 2, Addrs: []string{"h:1"}})
	want := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 'h', ':', '1'}
	assert.Equal(t, want, b)
}

func TestHandshakeErrors(t *testing.T) {
	v1ver := ProtocolV1
	bad := binary.BigEndian.AppendUint64(nil, uint64(0xffffffff00000000))
	_, err := DecodeHandshake(bad)
	assert.ErrorIs(t, err, ErrBadVersion)
	b := binary.BigEndian.AppendUint64(nil, uint64(v1ver))
	b = binary.BigEndian.AppendUint64(b, 1)
	b = binary.BigEndian.AppendUint32(b, 4000)
	_, err = DecodeHandshake(b)
	assert.ErrorIs(t, err, ErrBadAddrLen)
	b = binary.BigEndian.AppendUint64(nil, uint64(v1ver))
	b = binary.BigEndian.AppendUint64(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	_, err = DecodeHandshake(b)
	assert.ErrorIs(t, err, ErrBadAddrLen)
	_, err = DecodeHandshake(b[:10])
	assert.Error(t, err)
}

func TestKeepsConnection(t *testing.T) {
	assert.True(t, KeepsConnection(3, 1))
	assert.False(t, KeepsConnection(1, 3))
}

func TestFrame(t *testing.T) {
	b, err := AppendFrame(nil, []byte("abc"))
	require.NoError(t, err)
	p, err := ReadFrame(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, []byte("abc"), p)
	_, err = AppendFrame(nil, nil)
	assert.ErrorIs(t, err, ErrFrameSize)
	_, err = AppendFrame(nil, make([]byte, MaxFrame+1))
	assert.ErrorIs(t, err, ErrFrameSize)
	_, err = ReadFrame(bytes.NewReader([]byte{0, 8, 0, 1}))
	assert.ErrorIs(t, err, ErrFrameSize)
	_, err = ReadFrame(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}))
	assert.ErrorIs(t, err, ErrFrameSize)
}

func TestNotificationRoundTrip(t *testing.T) {
	n := Notification{State: Following, Leader: 3, Zxid: 0x500000007, ElectionEpoch: 9, PeerEpoch: 5,
		Version: 2, Config: []byte("server.1=a:1:2:participant\nversion=0")}
	b := AppendNotification(nil, n)
	assert.Len(t, b, 44+len(n.Config))
	got, err := DecodeNotification(b)
	require.NoError(t, err)
	assert.Equal(t, n, got)
}

func TestNotificationOldForms(t *testing.T) {
	full := AppendNotification(nil, Notification{State: Looking, Leader: 2, Zxid: 0x300000001, ElectionEpoch: 4, PeerEpoch: 3})
	n28, err := DecodeNotification(full[:28])
	require.NoError(t, err)
	assert.Equal(t, int64(3), n28.PeerEpoch, "28-byte form takes the zxid's epoch")
	n40, err := DecodeNotification(full[:40])
	require.NoError(t, err)
	assert.Equal(t, int32(0), n40.Version)
	assert.Equal(t, int64(3), n40.PeerEpoch)
	v1 := append([]byte(nil), full[:44]...)
	binary.BigEndian.PutUint32(v1[36:], 1)
	n1, err := DecodeNotification(v1)
	require.NoError(t, err)
	assert.Equal(t, int32(1), n1.Version)
	assert.Nil(t, n1.Config)
}

func TestNotificationErrors(t *testing.T) {
	full := AppendNotification(nil, Notification{State: Looking, Config: []byte("x")})
	for name, b := range map[string][]byte{
		"short":     full[:27],
		"36 bytes":  full[:36],
		"42 bytes":  full[:42],
		"bad state": append([]byte{0, 0, 0, 9}, full[4:]...),
		"cfg len":   append(append([]byte(nil), full[:40]...), 0, 0, 0, 9, 'x'),
		"neg cfg":   append(append([]byte(nil), full[:40]...), 0xff, 0xff, 0xff, 0xff),
	} {
		_, err := DecodeNotification(b)
		assert.Error(t, err, name)
	}
}

func FuzzDecodeNotification(f *testing.F) {
	f.Add(AppendNotification(nil, Notification{State: Leading, Leader: 1, Config: []byte("abc")}))
	f.Add(make([]byte, 28))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			return
		}
		if n.Version > 1 {
			again, err := DecodeNotification(AppendNotification(nil, n))
			require.NoError(t, err)
			n.Version = NotificationVersion
			assert.Equal(t, n, again)
		}
	})
}

func FuzzDecodeHandshake(f *testing.F) {
	f.Add(AppendHandshake(nil, Handshake{Version: ProtocolV1, SID: 1, Addrs: []string{"a:1"}}))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHandshake(b)
		if err != nil || h.Version >= 0 {
			return
		}
		again, err := DecodeHandshake(AppendHandshake(nil, h))
		require.NoError(t, err)
		assert.Equal(t, h, again)
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ReadFrame(bytes.NewReader(b))
		if err == nil {
			assert.True(t, len(p) >= 1 && len(p) <= MaxFrame)
		}
	})
}
