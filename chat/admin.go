package chat

import "context"

// What administrators do. Each action is checked here and written to the
// audit log.

// Accounts returns up to limit accounts with ID > after, for an
// administrator.
func (s *Service) Accounts(ctx context.Context, admin Account, after int64, limit int) ([]Account, error) {
	if !admin.Admin {
		return nil, Fail(NotAllowed)
	}
	return s.store.Accounts(ctx, after, limit)
}

// People returns up to limit accounts with ID > after, as anyone signed
// in sees them: names only.
func (s *Service) People(ctx context.Context, viewer Account, after int64, limit int) ([]User, error) {
	if s.open || viewer.ID == 0 {
		return nil, Fail(NotAllowed)
	}
	accounts, err := s.store.Accounts(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	people := make([]User, 0, len(accounts))
	for _, a := range accounts {
		if !a.Deactivated {
			people = append(people, a.User)
		}
	}
	return people, nil
}

// SetDeactivated deactivates or reactivates person. Deactivating ends
// every session of theirs, deletes their access tokens (so that
// reactivating an account taken over brings back none of what was made
// with it) and closes their live connections, on every instance. Administrators cannot deactivate themselves, so that one is
// always left.
func (s *Service) SetDeactivated(ctx context.Context, admin Account, person int64, deactivated bool) error {
	p, err := s.adminOver(ctx, admin, person)
	if err != nil {
		return err
	}
	if err := s.store.SetDeactivated(ctx, p.ID, deactivated); err != nil {
		return err
	}
	action := "reactivate"
	if deactivated {
		action = "deactivate"
		ended, err := s.store.DeleteSessions(ctx, p.ID)
		if err != nil {
			return err
		}
		tokens, err := s.store.DeleteTokens(ctx, p.ID)
		// The sessions ended whether or not the tokens went: their
		// connections close either way.
		s.publishEnded(ctx, p.ID, append(ended, tokenSessions(tokens)...))
		if err != nil {
			return err
		}
	}
	s.audit(ctx, admin, action, subject(p.User))
	return nil
}

// SetAdmin makes person an administrator or takes it back.
// Administrators cannot take it back from themselves.
func (s *Service) SetAdmin(ctx context.Context, admin Account, person int64, makeAdmin bool) error {
	p, err := s.adminOver(ctx, admin, person)
	if err != nil {
		return err
	}
	if err := s.store.SetAdmin(ctx, p.ID, makeAdmin); err != nil {
		return err
	}
	action := "remove_admin"
	if makeAdmin {
		action = "make_admin"
	}
	s.audit(ctx, admin, action, subject(p.User))
	return nil
}

// adminOver returns person for admin to act on: never admin themself.
func (s *Service) adminOver(ctx context.Context, admin Account, person int64) (Account, error) {
	if !admin.Admin {
		return Account{}, Fail(NotAllowed)
	}
	if person == admin.ID {
		return Account{}, Fail(NotAllowed)
	}
	return s.store.Account(ctx, person)
}

// RenameRoom renames a room, for an administrator.
func (s *Service) RenameRoom(ctx context.Context, admin Account, id int64, name string) (Room, error) {
	if !admin.Admin {
		return Room{}, Fail(NotAllowed)
	}
	name, err := cleanName(name, FieldRoomName, MaxRoomName)
	if err != nil {
		return Room{}, err
	}
	old, err := s.store.Room(ctx, id)
	if err != nil {
		return Room{}, err
	}
	if old.Kind == RoomDirect {
		return Room{}, Fail(NoRoom)
	}
	r, err := s.store.RenameRoom(ctx, id, name)
	if err != nil {
		return Room{}, err
	}
	s.audit(ctx, admin, "rename_room", roomSubject(old)+" to "+name)
	return r, nil
}

// SetArchived archives or restores a room, for an administrator.
// Archiving closes the room's live connections: it is read-only.
func (s *Service) SetArchived(ctx context.Context, admin Account, id int64, archived bool) error {
	if !admin.Admin {
		return Fail(NotAllowed)
	}
	r, err := s.store.Room(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.SetArchived(ctx, id, archived); err != nil {
		return err
	}
	action := "restore_room"
	if archived {
		action = "archive_room"
		s.publish(ctx, Event{Kind: EventArchived, Room: id})
	}
	s.audit(ctx, admin, action, roomSubject(r))
	return nil
}

// AuditLog returns up to limit entries older than before, for an
// administrator.
func (s *Service) AuditLog(ctx context.Context, admin Account, before int64, limit int) ([]Audit, error) {
	if !admin.Admin {
		return nil, Fail(NotAllowed)
	}
	return s.store.AuditLog(ctx, before, limit)
}

// audit records what admin did; a failure to record is logged, since the
// action itself is done.
func (s *Service) audit(ctx context.Context, actor Account, action, subject string) {
	err := s.store.AddAudit(context.WithoutCancel(ctx), Audit{At: s.now().UTC(), Actor: actor.User, Action: action, Subject: subject})
	if err != nil {
		s.log.Error("audit log", "action", action, "err", err)
	}
	s.log.Info("audit", "actor", actor.ID, "action", action, "subject", subject)
}
