"""nbgrader settings every server of the class reads (students' and the formgrader's).

A Jupyter configuration folder shared by both (on ``JUPYTER_CONFIG_PATH`` after the
student's or the grader's own folder: deploy/hub/jupyterhub_config.py; on Kubernetes
deploy/k8s/values.yaml embeds this same file).  The course folder's own
nbgrader_config.py (the repository's) adds the folder layout and the grading
sandbox for the grader.
"""
import os

c = get_config()  # noqa: F821 - injected by traitlets

c.CourseDirectory.course_id = os.environ.get("KUBELAB_COURSE_ID", "kubelab")
# One exchange per hub; the local test points this at a temporary folder.
c.Exchange.root = os.environ.get("KUBELAB_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
# Each student submits into inbound/<student>/ only (nbgrader issue #978): see kubelab.hub.exchange.
for step, plugin in {
    "release_assignment": "PrivateInboxRelease",
    "fetch_assignment": "PrivateInboxFetch",
    "submit": "PrivateInboxSubmit",
    "list": "PrivateInboxList",
    "collect": "PrivateInboxCollect",
    "release_feedback": "PrivateInboxReleaseFeedback",
    "fetch_feedback": "PrivateInboxFetchFeedback",
}.items():
    setattr(c.ExchangeFactory, step, f"kubelab.hub.exchange.{plugin}")
