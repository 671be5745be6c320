"""The Submit tab: the submission form, the status of submissions, and the admins' re-score."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from space import about, ranking, taxonomy
from space.envs import Settings
from space.scoring import KeyInfo
from space.submit import DEFAULT_SETTING, DEFAULT_TRAINING_EXPOSURE


@dataclass
class SubmitTab:
    """The tab's components, for wiring (`sample` only in demo mode with a sample file)."""

    sample: gr.File | None
    model_name: gr.Textbox
    link: gr.Textbox
    license_box: gr.Textbox
    size: gr.Textbox
    model_type: gr.Dropdown
    setting: gr.Dropdown
    training_exposure: gr.Dropdown
    notes: gr.Textbox
    predictions: gr.File
    submit_button: gr.Button
    api_submit: gr.Button
    outcome: gr.Markdown
    status: gr.Dataframe
    refresh_button: gr.Button
    admin_token: gr.Textbox
    rescore_button: gr.Button
    rescore_outcome: gr.Markdown
    admin: gr.Accordion


def build_submit_tab(settings: Settings, key_info: KeyInfo | None, enable_login: bool) -> SubmitTab:
    """Lay out the tab inside the current `gr.Tab`; the login button only when `enable_login`."""
    gr.Markdown(about.SUBMIT_INTRO)
    if key_info is None:
        gr.Markdown(about.NO_KEY)
    sample = None
    if settings.demo and key_info is not None and key_info.sample_predictions:
        gr.Markdown(about.DEMO_NOTE)
        # Given on each page load: the hourly temp-file clean-up may have removed an earlier copy.
        sample = gr.File(label="Sample prediction file", interactive=False)
    if enable_login:
        gr.LoginButton()
    with gr.Row():
        model_name = gr.Textbox(label="Model name", max_length=120)
        link = gr.Textbox(value="", label="Link (paper, model card or code)", placeholder="https://…")
        license_box = gr.Textbox(value="", label="License", placeholder="e.g. apache-2.0, proprietary")
        size = gr.Textbox(value="", label="Size (parameters)", placeholder="e.g. 7B")
    with gr.Row():
        model_type = gr.Dropdown(list(ranking.TYPES), value="open", label="Type")
        setting = gr.Dropdown(list(taxonomy.SETTINGS), value=DEFAULT_SETTING, label="Setting")
        training_exposure = gr.Dropdown(list(taxonomy.TRAINING_EXPOSURES), value=DEFAULT_TRAINING_EXPOSURE,
                                        label="Training exposure to MMAD, its source datasets or other "
                                              "industrial data")
    notes = gr.Textbox(value="", label="Notes (prompting, decoding, resolution, anything a reader needs)",
                       lines=2)
    # No file_types: the browser's own refusal is a toast that fades; the page says what is wrong, inline, once.
    predictions = gr.File(label="Prediction file (.jsonl or upstream answers .json)", type="filepath",
                          elem_id="predictions-file")
    with gr.Row(equal_height=True):
        submit_button = gr.Button("Submit and score", variant="primary", interactive=key_info is not None, scale=1,
                                  elem_id="submit-button")
        outcome = gr.Markdown(elem_id="submit-outcome", scale=4)
    api_submit = gr.Button(visible=False)  # the /submit API (errors as gr.Error), apart from the page's button
    gr.Markdown("### Submissions")
    status = gr.Dataframe(interactive=False, wrap=True, label="Status", elem_id="status-table")
    refresh_button = gr.Button("Refresh from storage", size="sm")
    with gr.Accordion("Admin: re-score everything", open=False, visible=False) as admin:
        admin_token = gr.Textbox(label="Admin token (MMAD_ADMIN_TOKEN; not needed on a Space)",
                                 type="password", visible=not settings.on_space)
        rescore_button = gr.Button("Re-score all stored prediction files", variant="stop")
        rescore_outcome = gr.Markdown()
    return SubmitTab(sample=sample, model_name=model_name, link=link, license_box=license_box, size=size,
                     model_type=model_type, setting=setting, training_exposure=training_exposure, notes=notes,
                     predictions=predictions, submit_button=submit_button, api_submit=api_submit, outcome=outcome,
                     status=status,
                     refresh_button=refresh_button, admin_token=admin_token, rescore_button=rescore_button,
                     rescore_outcome=rescore_outcome, admin=admin)
