"""Education URLs. Modules are addressed by slug (not patient data); assignments by UUID."""

from django.urls import path, re_path

from education.views import assignments, authoring, checks, learner, support_groups, translations

app_name = "education"

urlpatterns = [
    path("", learner.catalogue, name="catalogue"),
    path("progress/", learner.my_progress, name="my_progress"),
    path("m/<slug:slug>/", learner.module_detail, name="module"),
    path("m/<slug:slug>/lessons/<int:position>/", learner.lesson, name="lesson"),
    path("m/<slug:slug>/pre-check/", checks.precheck, name="precheck"),
    path("m/<slug:slug>/pre-check/skip/", checks.precheck_skip, name="precheck_skip"),
    path("m/<slug:slug>/check/", checks.quiz, name="quiz"),
    path("m/<slug:slug>/check/result/", checks.quiz_result, name="quiz_result"),
    path("m/<slug:slug>/restart/", learner.restart, name="restart"),
    path("m/<slug:slug>/certificate/", checks.certificate, name="certificate"),
    # Authoring (care staff)
    path("manage/", authoring.manage_home, name="manage"),
    path("manage/new/", authoring.module_new, name="module_new"),
    path("manage/preview/", authoring.markdown_preview, name="markdown_preview"),
    path("manage/<slug:slug>/", authoring.manage_module, name="manage_module"),
    path("manage/<slug:slug>/history/", authoring.history, name="history"),
    path("manage/<slug:slug>/v/<int:number>/", authoring.version_preview, name="version_preview"),
    path("manage/<slug:slug>/lessons/new/", authoring.lesson_edit, name="lesson_new"),
    path("manage/<slug:slug>/lessons/<uuid:lesson_id>/", authoring.lesson_edit, name="lesson_edit"),
    path("manage/<slug:slug>/lessons/<uuid:lesson_id>/move/", authoring.lesson_move, name="lesson_move"),
    path("manage/<slug:slug>/lessons/<uuid:lesson_id>/delete/", authoring.lesson_delete, name="lesson_delete"),
    path("manage/<slug:slug>/questions/new/", authoring.question_edit, name="question_new"),
    path("manage/<slug:slug>/questions/<uuid:question_id>/", authoring.question_edit, name="question_edit"),
    path("manage/<slug:slug>/questions/<uuid:question_id>/delete/", authoring.question_delete, name="question_delete"),
    re_path(
        r"^manage/(?P<slug>[-a-zA-Z0-9_]+)/(?P<action>submit|return|publish|new-version|archive)/$",
        authoring.workflow,
        name="workflow",
    ),
    path("manage/<slug:slug>/translation/<str:language>/", translations.translation_edit, name="translation"),
    re_path(
        r"^manage/(?P<slug>[-a-zA-Z0-9_]+)/translation/(?P<language>[a-z]{2})/(?P<action>submit|return|publish)/$",
        translations.translation_workflow,
        name="translation_workflow",
    ),
    # Assignments (care staff)
    path("assignments/", assignments.assignment_list, name="assignments"),
    path("assignments/<uuid:assignment_id>/", assignments.assignment_detail, name="assignment"),
    path("assignments/<uuid:assignment_id>/cancel/", assignments.assignment_cancel, name="assignment_cancel"),
    # The program's own support groups for families (care staff)
    path("support-groups/", support_groups.support_group_list, name="support_groups"),
    path("support-groups/new/", support_groups.support_group_new, name="support_group_new"),
    path("support-groups/<uuid:group_id>/", support_groups.support_group_edit, name="support_group_edit"),
    path("support-groups/<uuid:group_id>/active/", support_groups.support_group_active, name="support_group_active"),
]
