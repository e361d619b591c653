"""JupyterHub for a Backprop class: one Linux server, nbgrader's exchange, a formgrader service.

Follows nbgrader 0.9's "Using nbgrader with JupyterHub" (one class, its graders sharing one
formgrader service), written for JupyterHub 5 and 6. README.md in this folder is the whole
setup; the names to adapt are the CAPITALS just below.

Accounts, all of them Unix accounts of this server (nbgrader's exchange relies on file
permissions between users):
- the students, one account each;
- INSTRUCTORS: whoever grades. Hub admins, and members of the formgrade group, which lets
  them open the formgrader service;
- GRADER: a service account nobody logs in as. It owns the course folder and the gradebook,
  and runs the formgrader that every instructor opens.
"""
c = get_config()  # noqa: F821 (provided by JupyterHub)

COURSE = "backprop"  # = CourseDirectory.course_id in nbgrader_config.py, and the service's name
INSTRUCTORS = ["instructor"]  # hub user names of the instructors and teaching assistants
STUDENTS: list[str] = []  # hub user names of the students (or read them from a file, one a line)
GRADER = f"grader-{COURSE}"  # the Unix account that runs the formgrader
FORMGRADER_PORT = 9999  # any free local port

# --- Who may log in -------------------------------------------------------------------------
# Placeholder: PAM checks this server's own Unix accounts and passwords. For a real class use
# your institution's login, e.g. OAuthenticator (pip install oauthenticator):
#     c.JupyterHub.authenticator_class = "generic-oauth"  # or "github", "google", "azuread", ...
# with each login name mapped to the student's Unix account (a LocalAuthenticator subclass
# can create the accounts at first login: c.LocalAuthenticator.create_system_users = True).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(INSTRUCTORS) | set(STUDENTS)
c.Authenticator.admin_users = set(INSTRUCTORS)

# Everyone lands in JupyterLab.
c.Spawner.default_url = "/lab"

# --- The course's groups and what they may do -------------------------------------------------
# nbgrader's names: "formgrade-<course>" for the graders, "nbgrader-<course>" for the students.
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": INSTRUCTORS},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    {
        # The graders may open the formgrader service, and see it in the hub's Services menu.
        "name": f"formgrade-{COURSE}",
        "groups": [f"formgrade-{COURSE}"],
        "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
    },
    {
        # The students may see that the course exists (nbgrader's JupyterHubAuthPlugin asks the hub;
        # this single-course setup does not need it, a hub with several courses does).
        "name": f"nbgrader-{COURSE}",
        "groups": [f"nbgrader-{COURSE}"],
        "scopes": ["list:services", f"read:services!service={COURSE}"],
    },
]

# --- The formgrader -------------------------------------------------------------------------
# A Jupyter server that the hub runs as GRADER, in GRADER's home, where the course lives
# (~/backprop: a clone of the private course repository). The graders open it at
# https://<hub>/services/backprop/ (README.md, "Grading"). Its name MUST be the course id.
# JUPYTER_CONFIG_PATH puts GRADER's ~/.jupyter first, above the course environment's
# settings, so that there the formgrader and create-assignment are switched back on.
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{FORMGRADER_PORT}",
        "command": ["jupyterhub-singleuser"],
        "user": GRADER,
        "cwd": f"/home/{GRADER}",
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/lab", "JUPYTER_CONFIG_PATH": f"/home/{GRADER}/.jupyter"},
        "oauth_no_confirm": True,
    },
]
