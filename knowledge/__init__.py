"""Nimbus Notes knowledge: Markdown documents, an offline hybrid index, cited answers.

Public API (import from the submodules; this package stays light so importing it never
loads torch or Chroma):

- `knowledge.indexer.build_index(settings, progress=..., docs_dir=...) -> IndexReport`
  incremental by content hash; `knowledge.indexer.main(argv)` is the `index` command
  (`python -m knowledge index [--rebuild]`).
- `knowledge.retrieval.Retriever.from_settings(settings, mode="hybrid")` with
  `search(query, k) -> list[Passage]` and `answer(query) -> KnowledgeAnswer`.
- `knowledge.embeddings.make_embeddings(settings) -> Embeddings` (local MiniLM or OpenAI).
"""
