"""`mmad predict`: run a vision-language model on MMAD and write a prediction file for `mmad score`.

Modules: `prompts` (the benchmark prompt and answer extraction), `images` (each image read once),
`output` (resumable predictions file and its sidecar), `backends` (transformers, OpenAI-compatible),
`runner` (the loop), `cli` (the command), `random_model` (a random checkpoint for tests and the
benchmark). Heavy libraries are imported inside functions.
"""
