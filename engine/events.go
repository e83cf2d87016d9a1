package engine

import "sync"

// maxQueuedSamples bounds how many undelivered sample records the event
// queue holds; beyond it new samples are dropped (the journal still has
// them). Other records are never dropped: there are few of them and each
// one matters (a rollback confirmation, a manual command).
const maxQueuedSamples = 256

// eventQueue delivers records to a subscriber without ever blocking the
// engine: push appends to an unbounded queue and a pump goroutine, started
// on the first subscription, feeds the channel. The channel is closed after
// the last record of the run has been delivered.
type eventQueue struct {
	mu      sync.Mutex
	items   []Record
	samples int
	closed  bool
	wake    chan struct{}
	out     chan Record
	once    sync.Once
}

func newEventQueue() *eventQueue {
	return &eventQueue{wake: make(chan struct{}, 1), out: make(chan Record, 64)}
}

// push queues rec; it never blocks.
func (q *eventQueue) push(rec Record) {
	q.mu.Lock()
	if rec.Type == RecSample {
		if q.samples >= maxQueuedSamples {
			q.mu.Unlock()
			return
		}
		q.samples++
	}
	q.items = append(q.items, rec)
	q.mu.Unlock()
	q.signal()
}

// close marks the end of the run's records.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// channel starts the pump on first use and returns the subscriber channel.
func (q *eventQueue) channel() <-chan Record {
	q.once.Do(func() { go q.pump() })
	return q.out
}

func (q *eventQueue) pump() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			closed := q.closed
			q.mu.Unlock()
			if closed {
				close(q.out)
				return
			}
			<-q.wake
			continue
		}
		rec := q.items[0]
		q.items[0] = Record{}
		q.items = q.items[1:]
		if rec.Type == RecSample {
			q.samples--
		}
		q.mu.Unlock()
		q.out <- rec
	}
}
