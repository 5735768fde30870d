package sdk

import (
	"maps"
	"slices"
)

// Fresh is Update for a telling that must not be lost: it notes that
// current are those of chatID now, forgets those told and no longer
// current (answered), and returns, sorted, those of current neither told
// nor on their way, which are now on their way. Tell each (its event ID
// the same at each telling of it: the gateway drops a second), and call
// Confirm once the event is safe (Host.EmitDurable or EmitWait returned)
// or could not be emitted. Until confirmed, an ID is told nowhere on
// disk: a plugin killed meanwhile tells it again at its next read, not
// never, as Update's would.
func (r *ToldSets) Fresh(chatID string, current map[string]bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var told, fresh []string
	for id := range current {
		switch {
		case slices.Contains(r.st[chatID], id):
			told = append(told, id)
		case !r.onWay[chatID][id]:
			fresh = append(fresh, id)
		}
	}
	slices.Sort(told)
	if !slices.Equal(told, r.st[chatID]) {
		r.set(chatID, told)
	}
	if r.last == nil {
		r.last, r.onWay = map[string]map[string]bool{}, map[string]map[string]bool{}
	}
	if len(current) == 0 {
		delete(r.last, chatID)
	} else {
		r.last[chatID] = maps.Clone(current)
	}
	for _, id := range fresh {
		if r.onWay[chatID] == nil {
			r.onWay[chatID] = map[string]bool{}
		}
		r.onWay[chatID][id] = true
	}
	slices.Sort(fresh)
	return fresh
}

// Confirm ends the telling of id of chatID, which Fresh returned: told
// (its event safe), it is noted told on disk, unless the last read no
// longer has it (answered meanwhile, or the chat forgotten); not told,
// the next Fresh returns it again.
func (r *ToldSets) Confirm(chatID, id string, told bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.onWay[chatID], id)
	if len(r.onWay[chatID]) == 0 {
		delete(r.onWay, chatID)
	}
	if told && r.last[chatID][id] && !slices.Contains(r.st[chatID], id) {
		r.set(chatID, slices.Sorted(slices.Values(append(slices.Clone(r.st[chatID]), id))))
	}
}
