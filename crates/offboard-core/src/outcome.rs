//! Outcomes of applied actions: the journal line format (being written by the adapter helper).
