package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// markerFile names the events of the last batch of updates handed to the
// SDK, in the login's folder. gotd's updates manager saves the new pts
// only after the handler returned: a plugin killed in between gets the
// batch again from getDifference, though its events are in the SDK's
// journal already. The marker lets the next run skip them.
//
// Order, per batch: the events go to the journal (Emit), the marker is
// written, the journal is fsynced (EmitDurable), then the marker: a
// killed process never loses a batch nor repeats one; after a machine
// crash a batch may come twice (the gateway drops it by event ID), never
// be lost, since the marker is durable only after the journal is.
const markerFile = "emitted.json"

type marker struct {
	mu   sync.Mutex
	path string
	prev map[string]bool // the last batch of the previous run
}

func loadMarker(dir string) *marker {
	m := &marker{path: filepath.Join(dir, markerFile), prev: map[string]bool{}}
	b, err := os.ReadFile(m.path)
	if err != nil {
		return m
	}
	var keys []string
	if json.Unmarshal(b, &keys) == nil {
		for _, k := range keys {
			m.prev[k] = true
		}
	}
	return m
}

func eventKey(chat, eventID string) string { return chat + "\x00" + eventID }

// seen reports whether the previous run handed this event over already.
func (m *marker) seen(chat, eventID string) bool {
	if eventID == "" {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.prev[eventKey(chat, eventID)]
}

// write records a batch's keys, without fsync; sync makes it durable.
func (m *marker) write(keys []string) (*os.File, error) {
	b, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	tmp := m.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("telegram: marker: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("telegram: marker: %w", err)
	}
	if err := os.Rename(tmp, m.path); err != nil {
		f.Close()
		return nil, fmt.Errorf("telegram: marker: %w", err)
	}
	return f, nil
}

// sync makes the marker written by write durable.
func (m *marker) sync(f *os.File) error {
	err := errors.Join(f.Sync(), f.Close())
	if err == nil {
		err = syncDir(m.path)
	}
	if err != nil {
		return fmt.Errorf("telegram: marker: %w", err)
	}
	return nil
}

func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
