package main

import (
	"bufio"
	"bytes"
	"io"
	"time"
)

// eventReader reads server-sent events off a stream, as a browser's
// EventSource interprets it (the HTML standard's "event stream
// interpretation"): lines of "field: value", the data lines of an event
// joined with LF, a blank line ending the event, lines starting with a
// colon comments. Lines end in LF or CR LF; a lone CR, which the server
// never writes (it turns every CR of a fragment into a line of its own),
// is not taken for a line end.
//
// Every event goes through it, a million a second in -preset bigroom
// -transport sse, so it copies each data line once, into data, and
// nothing else: an event's data stays in data, valid, until release,
// which lets a reader gather the events of a whole read from the socket
// before it hands their messages to the run's shared records.
type eventReader struct {
	br *bufio.Reader
	// data holds the data of the events read since the last release, one
	// after the other; the event being read begins at start.
	data  []byte
	start int
	// typ is the event type buffer, id the last event ID buffer; hasID is
	// set when the event being read has an id field of its own.
	typ, id []byte
	hasID   bool
	// lastID is the EventSource's last event ID, which it sends back as
	// Last-Event-ID when it reconnects; retry its reconnection time.
	lastID []byte
	retry  time.Duration
	// long gathers a line longer than br's buffer.
	long []byte
}

// event is one dispatched event. data aliases the reader's data buffer,
// valid until its release; typ and id alias its other buffers, valid
// until the next call to next.
type event struct {
	// typ is the event's type; empty for "message".
	typ []byte
	// data is the event's data lines joined with LF.
	data []byte
	// id is the id field the event carried, when hasID.
	id    []byte
	hasID bool
}

// defaultRetry is the reconnection time of an EventSource before the
// server sets one (Chromium's: 3 s).
const defaultRetry = 3 * time.Second

// newEventReader returns a reader of streams with a read buffer of size
// bytes, for the connections of one EventSource.
func newEventReader(size int) *eventReader {
	return &eventReader{br: bufio.NewReaderSize(nil, size), retry: defaultRetry}
}

// reset starts reading a new stream from rd, the response to a
// (re)connection: the buffers start over, but for the last event ID
// buffer, which starts at the last event ID, as in Chromium (the
// standard would empty it, and the "retry" the server opens every stream
// with would then forget the ID before any event came).
func (r *eventReader) reset(rd io.Reader) {
	r.br.Reset(rd)
	r.start = len(r.data)
	r.release()
	r.typ, r.hasID = r.typ[:0], false
	r.id = append(r.id[:0], r.lastID...)
}

// forget makes the reader that of a new EventSource, which has no last
// event ID and the default reconnection time.
func (r *eventReader) forget() {
	r.lastID, r.retry = r.lastID[:0], defaultRetry
}

// next reads up to the next event that has data and returns it; events
// without data set only the last event ID. At the end of the stream it
// returns the error, and an event the stream broke off is dropped.
func (r *eventReader) next() (event, error) {
	for {
		line, err := r.line()
		if err != nil {
			return event{}, err
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		r.field(line)
	}
}

// line returns the next line without its end. It aliases br's buffer,
// or r.long for a line longer than that.
func (r *eventReader) line() ([]byte, error) {
	if cap(r.long) > keepData*r.br.Size() {
		r.long = nil // the long line before was used
	}
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// field processes one line that is not blank.
func (r *eventReader) field(line []byte) {
	colon := bytes.IndexByte(line, ':')
	if colon == 0 {
		return // a comment, such as the server's ": keep-alive"
	}
	name, value := line, []byte(nil)
	if colon > 0 {
		name, value = line[:colon], line[colon+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		r.data = append(append(r.data, value...), '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.id, r.hasID = append(r.id[:0], value...), true
		}
	case "event":
		r.typ = append(r.typ[:0], value...)
	case "retry":
		if ms, digits := leadingInt(value); digits > 0 && digits == len(value) {
			r.retry = time.Duration(ms) * time.Millisecond
		}
	}
}

// dispatch ends the event being read at a blank line: the last event ID
// takes the buffer's, and an event with data is returned.
func (r *eventReader) dispatch() (event, bool) {
	r.lastID = append(r.lastID[:0], r.id...)
	ev := event{typ: r.typ, id: r.id, hasID: r.hasID}
	r.typ, r.hasID = r.typ[:0], false
	if len(r.data) == r.start {
		return event{}, false
	}
	ev.data = r.data[r.start : len(r.data)-1] // without the last LF
	r.start = len(r.data)
	return ev, true
}

// keepData is how much of its data buffer a reader keeps between
// releases, as a multiple of its read buffer: what one read brings in
// needs no more, and a bigger event (a replaced log, a catch-up) should
// not keep a thousand connections' buffers that big.
const keepData = 2

// release gives up the data of the events returned so far; the event
// being read keeps what it has. It may run in the middle of next, from
// a read of the socket.
func (r *eventReader) release() {
	n := copy(r.data, r.data[r.start:])
	r.data, r.start = r.data[:n], 0
	if limit := keepData * r.br.Size(); cap(r.data) > limit && n < limit {
		r.data = append(make([]byte, 0, limit), r.data...)
	}
}
