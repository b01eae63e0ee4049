package postgres

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// AddAudit appends a to the audit log, with the actor's name as given;
// a zero At is now.
func (s *Store) AddAudit(ctx context.Context, a chat.Audit) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx,
		`INSERT INTO audit (at, actor_id, actor_name, action, subject) VALUES ($1, $2, $3, $4, $5)`,
		stamp(a.At), a.Actor.ID, a.Actor.Name, a.Action, a.Subject)
	return wrap("add audit", err, chat.Unreachable)
}

// AuditLog returns up to limit entries with ID < before (before <= 0:
// the newest), newest first.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]chat.Audit, error) {
	if limit <= 0 {
		return []chat.Audit{}, nil
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor_id, actor_name, action, subject
		FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, wrap("audit log", err, chat.Unreachable)
	}
	log, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Audit, error) {
		var a chat.Audit
		err := row.Scan(&a.ID, &a.At, &a.Actor.ID, &a.Actor.Name, &a.Action, &a.Subject)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, wrap("audit log", err, chat.Unreachable)
	}
	return log, nil
}
