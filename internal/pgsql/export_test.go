package pgsql

import "github.com/jackc/pgx/v5/pgconn"

// NewConnectorDial is NewConnector with pgconn's dial function replaced,
// for tests that need a misbehaving network.
func NewConnectorDial(url string, dial pgconn.DialFunc) (*Connector, error) {
	c, err := NewConnector(url)
	if err != nil {
		return nil, err
	}
	c.cfg.DialFunc = dial
	return c, nil
}
