package sqlite

import (
	"context"
	"math"

	"hxchat/chat"
)

// AddAudit appends a to the audit log, with the actor's name as given;
// a zero At is now.
func (s *Store) AddAudit(ctx context.Context, a chat.Audit) error {
	at, err := nanos(stamp(a.At))
	if err != nil {
		return err
	}
	defer s.boundWAL()
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO audit (at, actor_id, actor_name, action, subject) VALUES (?, ?, ?, ?, ?)`,
		at, a.Actor.ID, a.Actor.Name, a.Action, a.Subject)
	s.noteWrite(err)
	return wrap("add audit", err)
}

// AuditLog returns up to limit entries with ID < before (before <= 0:
// the newest), newest first.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]chat.Audit, error) {
	if limit <= 0 {
		return []chat.Audit{}, nil // SQLite reads a negative LIMIT as no limit
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, actor_id, actor_name, action, subject
		FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, wrap("audit log", err)
	}
	defer rows.Close()
	log := []chat.Audit{}
	for rows.Next() {
		var (
			a  chat.Audit
			at int64
		)
		if err := rows.Scan(&a.ID, &at, &a.Actor.ID, &a.Actor.Name, &a.Action, &a.Subject); err != nil {
			return nil, wrap("audit log", err)
		}
		a.At = fromNanos(at)
		log = append(log, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("audit log", err)
	}
	return log, nil
}
