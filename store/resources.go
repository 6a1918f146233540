package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// nullTime encodes a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dbTime(t)
}

// nullTimeDest scans NULL as the zero time.
type nullTimeDest struct{ t *time.Time }

func (d nullTimeDest) Scan(src any) error {
	if src == nil {
		*d.t = time.Time{}
		return nil
	}
	return timeDest(d).Scan(src)
}

func (s *sqlStore) CreateResource(ctx context.Context, r Resource) error {
	if r.Kind == "" || r.Name == "" {
		return errors.New("store: create resource: empty kind or name")
	}
	now := s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	res, err := s.write.ExecContext(ctx, `
		INSERT INTO resources (kind, name, data, secret, created_at, updated_at, expires_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
		ON CONFLICT (kind, name) DO NOTHING`,
		r.Kind, r.Name, nonNil(r.Data), nonNil(r.Secret), dbTime(r.CreatedAt), dbTime(r.UpdatedAt), nullTime(r.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create resource: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: create resource: %w", err)
	}
	if n == 0 {
		return ErrAlreadyExists
	}
	return nil
}

const resourceColumns = `kind, name, data, secret, created_at, updated_at, expires_at, version`

func scanResource(sc interface{ Scan(...any) error }) (Resource, int64, error) {
	var r Resource
	var version int64
	err := sc.Scan(&r.Kind, &r.Name, &r.Data, &r.Secret, timeDest{&r.CreatedAt}, timeDest{&r.UpdatedAt}, nullTimeDest{&r.ExpiresAt}, &version)
	return r, version, err
}

func (s *sqlStore) GetResource(ctx context.Context, kind, name string) (Resource, error) {
	r, _, err := s.getResource(ctx, kind, name)
	return r, err
}

func (s *sqlStore) getResource(ctx context.Context, kind, name string) (Resource, int64, error) {
	r, version, err := scanResource(s.read.QueryRowContext(ctx,
		`SELECT `+resourceColumns+` FROM resources WHERE kind = $1 AND name = $2`, kind, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, 0, ErrNotFound
	}
	if err != nil {
		return Resource{}, 0, fmt.Errorf("store: get resource: %w", err)
	}
	return r, version, nil
}

func (s *sqlStore) ListResources(ctx context.Context, kind, after string, limit int) ([]Resource, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+resourceColumns+` FROM resources
		WHERE kind = $1 AND name > $2 ORDER BY name LIMIT $3`, kind, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list resources: %w", err)
	}
	defer rows.Close()
	var out []Resource
	for rows.Next() {
		r, _, err := scanResource(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list resources: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list resources: %w", err)
	}
	return out, nil
}

// UpdateResource is optimistic like UpdateSession: fn runs outside any lock
// and may run more than once.
func (s *sqlStore) UpdateResource(ctx context.Context, kind, name string, fn func(Resource) (Resource, error)) error {
	for attempt := range updateAttempts {
		cur, version, err := s.getResource(ctx, kind, name)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next.Kind != kind || next.Name != name {
			return errors.New("store: update resource: fn changed the kind or name")
		}
		if next.UpdatedAt.IsZero() {
			next.UpdatedAt = s.now()
		}
		res, err := s.write.ExecContext(ctx, `
			UPDATE resources SET data = $1, secret = $2, created_at = $3, updated_at = $4,
				expires_at = $5, version = version + 1
			WHERE kind = $6 AND name = $7 AND version = $8`,
			nonNil(next.Data), nonNil(next.Secret), dbTime(next.CreatedAt), dbTime(next.UpdatedAt),
			nullTime(next.ExpiresAt), kind, name, version)
		if err != nil {
			return fmt.Errorf("store: update resource: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: update resource: %w", err)
		}
		if n == 1 {
			return nil
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return ErrConflict
}

func (s *sqlStore) DeleteResource(ctx context.Context, kind, name string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM resources WHERE kind = $1 AND name = $2`, kind, name)
	if err != nil {
		return fmt.Errorf("store: delete resource: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: delete resource: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) DeleteExpiredResources(ctx context.Context, kind string, before time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `
		DELETE FROM resources WHERE kind = $1 AND expires_at IS NOT NULL AND expires_at < $2`,
		kind, dbTime(before))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired resources: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete expired resources: %w", err)
	}
	return n, nil
}
