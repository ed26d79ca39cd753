package catalogue

import (
	memdb "github.com/hashicorp/go-memdb"
)

// Catalogue tables.
const (
	TableSources    = "sources"
	TableIndicators = "indicators"
)

// Index names.
const (
	indexID     = "id"
	indexValue  = "value"
	indexSource = "source"
	indexKind   = "kind"
)

// catalogueSchema is the go-memdb schema of the Catalogue: one function
// per table, as in Nomad's state store.
func catalogueSchema() *memdb.DBSchema {
	return &memdb.DBSchema{
		Tables: map[string]*memdb.TableSchema{
			TableSources:    sourcesTableSchema(),
			TableIndicators: indicatorsTableSchema(),
		},
	}
}

// sourcesTableSchema: one row per feed or other source, keyed by name.
func sourcesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableSources,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: &memdb.StringFieldIndex{Field: "Name"},
			},
		},
	}
}

// indicatorsTableSchema: the indicators people ask about (wallet
// addresses, URL indicators, submissions, guarded entries), keyed by
// value and source.
func indicatorsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableIndicators,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:   indexID,
				Unique: true,
				Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{
						&memdb.StringFieldIndex{Field: "Value"},
						&memdb.StringFieldIndex{Field: "Source"},
					},
				},
			},
			indexValue: {
				Name:    indexValue,
				Indexer: &memdb.StringFieldIndex{Field: "Value"},
			},
			indexSource: {
				Name:    indexSource,
				Indexer: &memdb.StringFieldIndex{Field: "Source"},
			},
			indexKind: {
				Name:    indexKind,
				Indexer: &memdb.UintFieldIndex{Field: "Kind"},
			},
		},
	}
}
